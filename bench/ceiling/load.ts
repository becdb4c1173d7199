/**
 * A small keep-alive HTTP load generator: `connections` sockets on loopback, each sending the same
 * prebuilt request again as soon as the previous response is complete (no pipelining), for
 * `durationMs`. Raw sockets and a prebuilt request keep the generator's own CPU low, so on a
 * shared 2-core machine most of the time goes to the server under test. Every response must have
 * the expected status, or the run fails.
 */
import { connect, type Socket } from 'node:net';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  expectStatus: number;
}

/**
 * The 400 path every HTTP figure uses: a number that passes the digit check and has a real
 * country calling code (1) but an impossible length, so both the gateway and bare Express run
 * libphonenumber's whole parse before refusing it. (A number with no calling code at all, such as
 * 999…, the gateway refuses from the metadata's list of codes without parsing, which bare Express
 * does not do: that would flatter the gateway.)
 */
export const INVALID_PHONE_BODY = JSON.stringify({ phone: '12345678', message: 'hi' });

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function requestBytes(port: number, request: LoadRequest): Buffer {
  const body = request.body ?? '';
  const headers = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: keep-alive',
    ...(request.body !== undefined ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`] : []),
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/** Feeds bytes in, calls onResponse(status) for each complete response. */
function responseReader(onResponse: (status: number) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const end = pending.indexOf(HEADER_END);
      if (end < 0) return;
      const head = pending.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) throw new Error(`response without Content-Length: ${head.slice(0, 200)}`);
      const total = end + HEADER_END.length + Number(length[1]);
      if (pending.length < total) return;
      const status = Number(head.slice(9, 12));
      pending = pending.subarray(total);
      onResponse(status);
    }
  };
}

export async function runLoad(port: number, request: LoadRequest, options: { connections: number; durationMs: number }): Promise<LoadResult> {
  const bytes = requestBytes(port, request);
  let requests = 0;
  let failure: Error | undefined;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + options.durationMs;

  const oneConnection = () =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      const finish = (error?: Error) => {
        if (error && !failure) failure = error;
        socket.destroy();
        resolve();
      };
      const read = responseReader((status) => {
        if (status !== request.expectStatus) return finish(new Error(`${request.method} ${request.path}: HTTP ${status}, expected ${request.expectStatus}`));
        requests++;
        if (Date.now() >= deadline || failure) return finish();
        socket.write(bytes);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          read(chunk);
        } catch (error) {
          finish(error as Error);
        }
      });
      socket.on('error', (error) => finish(error));
      socket.on('close', () => resolve());
      socket.on('connect', () => socket.write(bytes));
    });

  await Promise.all(Array.from({ length: options.connections }, oneConnection));
  if (failure) throw failure;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { requests, seconds, perSecond: requests / seconds };
}
