/**
 * `res.status(status).json(body)` as Express writes it with this app's settings (no ETag, no JSON
 * spaces, replacer or escaping), written directly: Express's json and send read four settings,
 * parse and rebuild the Content-Type and go through res.set for each header, which was a visible
 * part of a small answer's CPU (an error, a status poll). What this does not cover (a Content-Type
 * already set, a conditional request for a success, a body-less status) is left to Express.
 */
import type { Response } from 'express';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: Response, status: number, body: unknown): void {
  const req = res.req;
  const conditional = status >= 200 && status < 300 && (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined);
  const json = JSON.stringify(body) as string | undefined;
  if (conditional || json === undefined || status === 204 || status === 304 || res.getHeader('Content-Type') !== undefined) {
    res.status(status).json(body);
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', String(Buffer.byteLength(json)));
  if (req.method === 'HEAD') res.end();
  else res.end(json);
}
