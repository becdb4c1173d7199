/**
 * Raw HTTP over node:net, for what supertest cannot send: malformed framing, bodies cut short,
 * connections dropped mid-request. Servers are created through the gateway's own listen helper,
 * so Node's parser errors are answered the way production answers them.
 */
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { RequestListener } from 'node:http';
import { createHttpServer } from '../../src/http/client-errors.js';

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function listen(app: RequestListener): Promise<Listening> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, as received. */
  raw: string;
}

/** Parses the first response on a connection (Content-Length or chunked or to the close). */
export function parseResponse(raw: string): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let decoded = '';
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      decoded += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  } else if (headers['content-length'] !== undefined) {
    body = Buffer.from(body, 'latin1').subarray(0, Number(headers['content-length'])).toString('utf8');
  }
  return { status, headers, body, raw };
}

export interface RawExchange {
  /** Bytes to write, in order; a pause lets the server read the previous piece first. */
  pieces: Array<Buffer | string>;
  /** Destroy the socket after writing (a client that drops the connection). */
  abort?: boolean;
  /** Half-close after writing (the body ends there). Default true unless aborting. */
  end?: boolean;
  timeoutMs?: number;
  /** Keep reading after the first complete response, until the server closes (keep-alive tests). */
  untilClose?: boolean;
}

/**
 * Writes the pieces and collects what comes back until the server closes, the response is
 * complete, or the timeout. Resolves with the parsed response, or undefined when none came.
 */
export function rawExchange(port: number, exchange: RawExchange): Promise<RawResponse | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(finish, exchange.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const parsed = parseResponse(Buffer.concat(chunks).toString('latin1'));
      const length = parsed?.headers['content-length'];
      if (!exchange.untilClose && parsed && length !== undefined && Buffer.byteLength(parsed.body) >= Number(length)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      for (const piece of exchange.pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (exchange.abort) {
        // Give the server time to read what was written before the connection drops.
        await new Promise((r) => setTimeout(r, 30));
        socket.destroy();
        finish();
      } else if (exchange.end !== false) socket.end();
    });
  });
}

/** A multipart body builder that can emit any part order, duplicates, and cuts. */
export interface Part {
  name: string;
  value: Buffer | string;
  filename?: string;
  contentType?: string;
}

export function multipart(boundary: string, parts: Part[], closing = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const type = part.contentType ? `\r\nContent-Type: ${part.contentType}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`));
    chunks.push(typeof part.value === 'string' ? Buffer.from(part.value) : part.value);
    chunks.push(Buffer.from('\r\n'));
  }
  if (closing) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** A POST head for a body of `length` bytes. */
export function postHead(path: string, contentType: string, length: number, extra: string[] = []): string {
  return [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Content-Type: ${contentType}`, `Content-Length: ${length}`, 'Connection: close', ...extra, '', ''].join(
    '\r\n',
  );
}
