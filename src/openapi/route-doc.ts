/**
 * What a route declares about itself for the OpenAPI document, beside its handlers. The request
 * schemas here are the ones its handlers validate with, so the document cannot drift from what
 * the route accepts; the response schemas describe the bodies it answers with, and the contract
 * test (tests/http/openapi-contract.test.ts) holds the answers to them.
 */
import type { z } from 'zod';
import type { ErrorCode } from './error-codes.js';

export interface Example<T = unknown> {
  summary: string;
  value: T;
}

/** Body media types a route reads. */
export type RequestMediaType = 'application/json' | 'application/x-www-form-urlencoded' | 'multipart/form-data';

export interface RequestBodyDoc {
  /** The fields the route reads under each media type (usually one schema for all of them). */
  content: Partial<Record<RequestMediaType, z.ZodType>>;
  /** Example bodies; for multipart, a binary field's value names a file (e.g. "sunset.jpg"). */
  examples: Record<string, Example<Record<string, unknown>>>;
  /** Examples that fit one media type only (its body has other fields); they replace `examples` there. */
  examplesByType?: Partial<Record<RequestMediaType, Record<string, Example<Record<string, unknown>>>>>;
}

export interface ResponseDoc {
  description: string;
  /** Media type of the body; JSON unless said otherwise. */
  mediaType?: string;
  /** Schema of a JSON body (omitted for binary and HTML bodies). */
  schema?: z.ZodType;
  examples?: Record<string, Example>;
  /** Other renderings of the same answer, chosen by a query parameter (e.g. `image/png`). */
  otherMediaTypes?: readonly string[];
}

export interface RouteDoc {
  /** The group the route is listed under in the reference. */
  tag: string;
  /** Longer explanation (Markdown) beyond the route's one-line description. */
  details?: string;
  /** Descriptions of the path parameters; every `:name` in the path must be in it. */
  params?: z.ZodObject;
  /** Query parameters; the schema the handler validates `req.query` with. */
  query?: z.ZodObject;
  /** Request headers the route reads (documented; e.g. Idempotency-Key). */
  headers?: z.ZodObject;
  /** The request body; `null` for a POST that reads none (a POST must say which). */
  body?: RequestBodyDoc | null;
  /** Success responses by status (at least one). */
  responses: Partial<Record<200 | 201 | 202 | 204, ResponseDoc>>;
  /**
   * Error codes the route itself answers with. The document adds the ones every route shares:
   * UNAUTHORIZED and RATE_LIMITED when guarded, BAD_REQUEST when it reads a body or path
   * parameters, INTERNAL_ERROR, and SHUTTING_DOWN unless `servedWhileDraining`.
   */
  errors?: readonly ErrorCode[];
  /** Answers normally during graceful shutdown (only the health check). */
  servedWhileDraining?: boolean;
}

/** A route as the document builder sees it: the route table's entry without its handlers. */
export interface DocumentedRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Express path, e.g. `/api/messages/:id`. */
  path: string;
  /** One line: the operation's summary, and the text of GET `/`'s `endpoints` list. */
  description: string;
  /** Behind the API key (and the rate limit). */
  guarded: boolean;
  /** A guarded route that skips the rate limit (the metrics scrape); rate limited unless false. */
  rateLimited?: false;
  /**
   * A function that builds it, preferably: its response schemas and examples exist only for the
   * document, which is built on its first request, so a gateway that is never asked for it never
   * holds them (idle memory is a measured target, `npm run bench:ceiling`).
   */
  doc: RouteDoc | (() => RouteDoc);
}

const builtDocs = new WeakMap<() => RouteDoc, RouteDoc>();

/**
 * The route with its doc built. A doc function is called once and its doc kept: routes that share
 * a doc (an account route and its copy under /api/sessions/:session) must share its schemas, which
 * the document names by identity, every time it is built.
 */
export function withDoc<R extends DocumentedRoute>(route: R): R & { doc: RouteDoc } {
  const { doc } = route;
  if (typeof doc !== 'function') return route as R & { doc: RouteDoc };
  let built = builtDocs.get(doc);
  if (!built) builtDocs.set(doc, (built = doc()));
  return { ...route, doc: built };
}

/**
 * A value built on its first use and kept: for documentation schemas that several routes share,
 * so the document refers to one component (a schema's identity names it) however often it is built.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}
