/**
 * The target of the hostile suite: the real app (FakeTransport, the real converting media
 * preparer) on a server made by the gateway's own createHttpServer, and the oracle that every
 * generated request is held to:
 *   - a complete request always gets an answer (no hang);
 *   - the answer is a success or the contract's JSON error, never a 5xx but 503;
 *   - no internal error text in any body;
 *   - afterwards nothing is left in UPLOAD_DIR or the conversion temp dir, and the server still
 *     answers /api/health.
 */
import { MEDIA_KINDS } from '../../../src/domain/vocabulary.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createMediaPreparer } from '../../../src/media/index.js';
import { hugeCanvasGif } from '../../support/hostile-media.js';
import { sampleFor } from '../../support/fixtures.js';
import { listen, parseResponse, rawExchange, type Listening, type RawResponse } from '../../support/raw-http.js';
import { buildTestApp, type TestApp } from '../../support/test-app.js';
import { makeRealSamples } from './real-media.js';
import { KNOWN_MESSAGE_ID } from './kind-specs.js';
import { API_KEY, type BodySpec, type Content, type RequestSpec } from './request-specs.js';

/** Small limits, so "over the limit" costs kilobytes, not megabytes. */
const LIMIT_ENV: Record<string, string> = Object.fromEntries(MEDIA_KINDS.map((kind) => [`MAX_${kind.toUpperCase()}_SIZE_MB`, '0.03']));
const TEXT_LIMIT = 1024 * 1024;

export interface HostileTarget {
  app: TestApp;
  server: Listening;
  tempDir: string;
  /** Sends one request and checks every invariant; throws with what was wrong. */
  exercise(spec: RequestSpec): Promise<RawResponse | undefined>;
  close(): Promise<void>;
}

function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function contentBytes(content: Content, limit: number, real: Record<string, Buffer>): Buffer {
  switch (content.kind) {
    case 'real':
      return real[content.ext] ?? sampleFor('document', content.ext);
    case 'sample':
      return Buffer.concat([sampleFor('document', content.ext), Buffer.alloc(content.extra, 0x20)]);
    case 'random':
      return randomBytes(content.length, content.seed);
    case 'repeat':
      return Buffer.from(content.char.repeat(content.length));
    case 'text':
      return Buffer.from(content.text);
    case 'hugeCanvasGif':
      return hugeCanvasGif();
    case 'oversize':
      return Buffer.concat([sampleFor('document', content.ext), Buffer.alloc(limit + 1, 0x20)]);
  }
}

/** WHATWG escaping of names in a Content-Disposition header. */
const quoted = (value: string) => value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

function encodeBody(body: BodySpec, limit: number, real: Record<string, Buffer>): { bytes: Buffer; contentType: string | null } {
  switch (body.type) {
    case 'none':
      return { bytes: Buffer.alloc(0), contentType: null };
    case 'raw':
      return { bytes: contentBytes(body.content, limit, real), contentType: body.contentType };
    case 'form':
      return { bytes: Buffer.from(new URLSearchParams(body.fields).toString()), contentType: body.contentType };
    case 'json':
      return { bytes: Buffer.from((body.bom ? '\uFEFF' : '') + (JSON.stringify(body.value) ?? 'null')), contentType: body.contentType };
    case 'multipart': {
      const eol = body.lf ? '\n' : '\r\n';
      const chunks: Buffer[] = body.preamble ? [Buffer.from(`This is a preamble.${eol}`)] : [];
      for (const part of body.parts) {
        let disposition = `form-data; name="${quoted(part.name)}"`;
        if (part.filename !== undefined) {
          disposition += part.filenameStar ? `; filename*=UTF-8''${encodeURIComponent(part.filename)}` : `; filename="${quoted(part.filename)}"`;
        }
        const type = part.contentType ? `Content-Type: ${part.contentType}${eol}` : '';
        chunks.push(
          Buffer.from(`--${body.boundary}${eol}Content-Disposition: ${disposition}${eol}${type}${eol}`),
          contentBytes(part.content, limit, real),
          Buffer.from(eol),
        );
      }
      if (body.closing) chunks.push(Buffer.from(`--${body.boundary}--${eol}`));
      const boundary = { same: `; boundary=${body.boundary}`, quoted: `; boundary="${body.boundary}"`, other: '; boundary=SomethingElse', missing: '' }[
        body.header
      ];
      return { bytes: Buffer.concat(chunks), contentType: `multipart/form-data${boundary}` };
    }
  }
}

function chunked(bytes: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 1000) {
    const slice = bytes.subarray(at, at + 1000);
    pieces.push(Buffer.from(`${slice.length.toString(16)}\r\n`), slice, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(pieces);
}

/** `bytes` with every `token` replaced by `value` (ASCII both). */
function replaceToken(bytes: Buffer, token: string, value: string): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(token); at !== -1; at = bytes.indexOf(token, from)) {
    pieces.push(bytes.subarray(from, at), Buffer.from(value));
    from = at + token.length;
  }
  return pieces.length === 0 ? bytes : Buffer.concat([...pieces, bytes.subarray(from)]);
}

/**
 * The request as bytes on the wire: head and body. `knownMessageId`: the id a reaction may name,
 * in place of KNOWN_MESSAGE_ID.
 */
export function encode(spec: RequestSpec, limit: number, real: Record<string, Buffer> = {}, knownMessageId = KNOWN_MESSAGE_ID): { head: string; body: Buffer } {
  const encoded = encodeBody(spec.body, limit, real);
  const { contentType } = encoded;
  const bytes = replaceToken(encoded.bytes, KNOWN_MESSAGE_ID, knownMessageId);
  const lines = [`POST ${spec.endpoint} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (spec.auth === 'ok') lines.push(`X-API-Key: ${API_KEY}`);
  if (spec.auth === 'wrong') lines.push('Authorization: Bearer not-the-key-at-all-000000');
  if (contentType !== null) lines.push(`Content-Type: ${contentType}`);
  if (spec.expectContinue) lines.push('Expect: 100-continue');
  if (spec.idempotencyKey !== null) lines.push(`Idempotency-Key: ${spec.idempotencyKey === 'fresh' ? randomUUID() : spec.idempotencyKey}`);
  let body = bytes;
  if (spec.framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    body = chunked(bytes);
  } else {
    lines.push(`Content-Length: ${spec.framing === 'shortLength' ? Math.floor(bytes.length / 2) : bytes.length}`);
  }
  return { head: `${lines.join('\r\n')}\r\n\r\n`, body: Buffer.from(body) };
}

/** The final response of an exchange, after any 100 Continue. */
function finalResponse(response: RawResponse | undefined): RawResponse | undefined {
  let current = response;
  while (current && current.status >= 100 && current.status < 200) {
    const rest = current.raw.slice(current.raw.indexOf('\r\n\r\n') + 4);
    current = parseResponse(rest);
  }
  return current;
}

const INTERNALS = /TypeError|ReferenceError|RangeError|Cannot read propert|node:internal|\bat \S+ \(|\/tmp\/|\.converting|Vips|ffprobe|HPE_/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ERROR_EXTRAS = new Set(['limit', 'window', 'max_size']);

export function checkResponse(response: RawResponse): void {
  const { status } = response;
  const fail = (why: string) => {
    throw new Error(`${why}\n--- response ---\n${response.raw.slice(0, 2000)}`);
  };
  if (!(status >= 200 && status < 600)) fail(`no valid status line (${status})`);
  if (status >= 500 && status !== 503) fail(`a ${status}: only the contract's 503 is allowed`);
  if (!/^application\/json/.test(response.headers['content-type'] ?? '')) fail('not JSON');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    return fail('body does not parse as JSON');
  }
  if (status < 300) {
    if (body.status !== 'success') fail('a 2xx without status "success"');
    return;
  }
  if (body.status !== 'error' || typeof body.message !== 'string' || body.message === '') fail('not the contract error body');
  if (typeof body.timestamp !== 'string' || !ISO.test(body.timestamp)) fail('timestamp is not ISO');
  if (typeof body.code !== 'string' || !/^[A-Z_]+$/.test(body.code) || body.code === 'INTERNAL_ERROR') fail(`bad code ${String(body.code)}`);
  for (const key of Object.keys(body)) if (!['status', 'message', 'timestamp', 'code'].includes(key) && !ERROR_EXTRAS.has(key)) fail(`unexpected key ${key}`);
  if (INTERNALS.test(body.message as string)) fail('internal error text in the message');
}

async function waitUntilEmpty(dir: string, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = await readdir(dir);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${what} not empty after the request: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startHostileTarget(): Promise<HostileTarget> {
  const tempDir = await mkdtemp(path.join(tmpdir(), 'wa-hostile-media-'));
  const app = await buildTestApp({ ...LIMIT_ENV, API_KEY }, { mediaPreparer: createMediaPreparer({ tempDir, concurrency: 2 }) });
  const server = await listen(app.app);
  const real = await makeRealSamples();
  // A message in the well-formed requests' chat, for the reactions to name.
  const sent = await request(app.app).post('/api/send-message').set('X-API-Key', API_KEY).send({ phone: '6281234567890', message: 'react to me' });
  if (sent.status !== 200) throw new Error(`the message to react to was not sent: ${sent.status} ${JSON.stringify(sent.body)}`);
  const knownMessageId = (sent.body as { data: { message_id: string } }).data.message_id;
  const limitOf = (endpoint: string) => MEDIA_KINDS.map((k) => app.config.uploads[k]).find((p) => p.endpoint === endpoint)?.maxBytes ?? TEXT_LIMIT;

  return {
    app,
    server,
    tempDir,
    async exercise(spec) {
      const { head, body } = encode(spec, limitOf(spec.endpoint), real, knownMessageId);
      const delivery = spec.delivery;
      const cut = delivery.kind === 'whole' ? body.length : Math.floor(delivery.at * body.length);
      const response = finalResponse(
        // A cut body ends with a half-close (FIN): the server must not wait for the rest forever.
        // A whole one keeps the socket open for the answer, as curl does: Node aborts an incoming
        // request whose client half-closes (its http server does not allow half-open sockets).
        await rawExchange(server.port, {
          pieces: [head, body.subarray(0, cut)],
          abort: delivery.kind === 'abort',
          end: delivery.kind === 'cut',
          timeoutMs: 20_000,
        }),
      );
      if (response) checkResponse(response);
      else if (delivery.kind === 'whole') throw new Error('a complete request got no answer');
      await waitUntilEmpty(app.uploadDir, 'UPLOAD_DIR');
      await waitUntilEmpty(tempDir, 'the media temp dir');
      const health = await rawExchange(server.port, { pieces: ['GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'] });
      if (health?.status !== 200) throw new Error(`the server stopped answering /api/health (${health?.status})`);
      return response;
    },
    async close() {
      await server.close();
      await app.cleanup();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}
