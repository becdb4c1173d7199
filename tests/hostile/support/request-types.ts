/**
 * What the hostile suite sends, described: the endpoints, and a request as a small value (sizes,
 * not bytes) that request-specs.ts generates and hostile-target.ts encodes.
 */
import { MEDIA_KINDS } from '../../../src/domain/vocabulary.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../../src/messaging/upload-policy.js';
import { KIND_ENDPOINTS } from './kind-specs.js';

export const SEND_ENDPOINTS = ['/api/send-message', ...MEDIA_KINDS.map((kind) => DEFAULT_UPLOAD_POLICIES[kind].endpoint), ...KIND_ENDPOINTS] as const;
export type Endpoint = (typeof SEND_ENDPOINTS)[number];

/** The bytes of a part or body, described. */
export type Content =
  | { kind: 'real'; ext: string }
  | { kind: 'sample'; ext: string; extra: number }
  | { kind: 'random'; length: number; seed: number }
  | { kind: 'repeat'; char: string; length: number }
  | { kind: 'text'; text: string }
  | { kind: 'hugeCanvasGif' }
  | { kind: 'oversize'; ext: string };

export interface PartSpec {
  name: string;
  /** Present: a file part. */
  filename?: string;
  /** RFC 5987 `filename*=UTF-8''…` instead of a quoted filename. */
  filenameStar?: boolean;
  contentType?: string;
  content: Content;
}

export type BodySpec =
  | {
      type: 'multipart';
      parts: PartSpec[];
      boundary: string;
      header: 'same' | 'other' | 'missing' | 'quoted';
      preamble: boolean;
      closing: boolean;
      lf: boolean;
    }
  | { type: 'json'; value: unknown; contentType: string; bom: boolean }
  | { type: 'form'; fields: Array<[string, string]>; contentType: string }
  | { type: 'raw'; content: Content; contentType: string | null }
  | { type: 'none' };

export type Delivery = { kind: 'whole' } | { kind: 'cut'; at: number } | { kind: 'abort'; at: number };

export interface RequestSpec {
  endpoint: Endpoint;
  body: BodySpec;
  /** How the body is framed: its length, chunked, or a Content-Length shorter than the body. */
  framing: 'length' | 'chunked' | 'shortLength';
  delivery: Delivery;
  auth: 'ok' | 'wrong' | 'none';
  expectContinue: boolean;
  idempotencyKey: string | null;
}
