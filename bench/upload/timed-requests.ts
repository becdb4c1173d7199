/**
 * The upload benchmark's requests to the gateway child, timed: a multipart upload streamed from
 * disk with node:http (so the harness holds none of the file, and the moment the last byte was
 * written is known), and a JSON post.
 */
import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import type { GatewayChild } from '../ceiling/contenders.js';

export interface Timed {
  status: number;
  body: Record<string, unknown>;
  /** Seconds until the last body byte was handed to the socket. */
  sentS: number;
  /** Seconds until the response was complete. */
  totalS: number;
}

/** POST multipart/form-data with the file streamed from disk (Content-Length known up front). */
export function postFile(
  port: number,
  endpoint: string,
  fields: Record<string, string>,
  filePath: string,
  fileName: string,
  mimetype: string,
  onSent: () => void,
): Promise<Timed> {
  const boundary = `----bench${Date.now().toString(16)}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${mimetype}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + statSync(filePath).size + Buffer.byteLength(tail);
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  return new Promise((resolvePromise, reject) => {
    let sentS = 0;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: endpoint,
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': length },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          try {
            resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, sentS: sentS || elapsed(), totalS: elapsed() });
          } catch (error) {
            reject(new Error(`unreadable response ${res.statusCode}: ${text.slice(0, 200)} (${String(error)})`));
          }
        });
      },
    );
    req.on('error', reject);
    req.on('finish', () => {
      sentS = elapsed();
      onSent();
    });
    req.write(head);
    const file = createReadStream(filePath);
    file.on('error', reject);
    file.on('end', () => req.end(tail));
    file.pipe(req, { end: false });
  });
}

export async function postJson(gateway: GatewayChild, endpoint: string, body: unknown): Promise<Timed> {
  const started = process.hrtime.bigint();
  const res = await gateway.postJson(endpoint, body);
  const totalS = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...res, sentS: 0, totalS };
}
