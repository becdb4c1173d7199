/**
 * Idempotency-Key for the send endpoints: a retried request (same key, same body, within 24 h)
 * gets the first response again and sends nothing; the same key with a different body is a 409.
 * Keys are scoped per API key, so two clients cannot collide. Only successful responses are kept:
 * a request that failed sent nothing, so its retry may run. The exception is a send whose outcome
 * is unknown (no server ack): the key stays tied to its record, and the retry continues that very
 * message under the same WhatsApp id instead of starting a second one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import { requestFingerprint, type IdempotencyRepository, type StoredResponse } from './idempotency-repository.js';
import { presentedKey } from './auth.js';
import { sendJson } from './json-response.js';

/** What a key may be: 1 to 255 visible ASCII characters. The OpenAPI document shows this same pattern. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What `perform` learns from the key: the record to continue, and where to report a new record. */
export interface OnceContext {
  /** Set when an earlier attempt with this key created this record and its outcome is unknown. */
  resumeRecordId?: string;
  /** Call as soon as the request has created its message record, before anything is sent. */
  bindRecord(recordId: string): Promise<void>;
}

/** Errors after which the message may have reached WhatsApp: the key is kept for a resuming retry. */
const OUTCOME_UNKNOWN_CODES = new Set(['SEND_OUTCOME_UNKNOWN']);

export interface OnceResult {
  response: StoredResponse;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** Runs `perform` once per Idempotency-Key; without the header it simply runs. */
export async function performOnce(
  req: Request,
  repository: IdempotencyRepository,
  request: { fields: Record<string, unknown>; filePath?: string },
  perform: (context: OnceContext) => Promise<StoredResponse>,
): Promise<OnceResult> {
  const key = req.get('idempotency-key');
  if (key === undefined) return { response: await perform({ bindRecord: async () => undefined }), replayed: false };
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const scope = createHash('sha256')
    .update(presentedKey(req) ?? '')
    .digest('hex');
  const fingerprint = requestFingerprint({
    method: req.method,
    path: req.path,
    fields: request.fields,
    fileSha256: request.filePath ? await fileSha256(request.filePath) : null,
  });
  const claim = await repository.begin({ scope, key, fingerprint });
  if (claim === 'conflict') {
    throw new AppError(409, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key was already used with a different request');
  }
  if (claim === 'in-progress') {
    throw new AppError(
      409,
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed (or was interrupted); use a new key',
      {},
      { 'Retry-After': '5' },
    );
  }
  if (claim !== 'new' && 'replay' in claim) return { response: claim.replay, replayed: true };
  const context: OnceContext = {
    resumeRecordId: claim === 'new' ? undefined : claim.resume,
    bindRecord: (recordId) => repository.bindMessage(scope, key, recordId),
  };
  let response: StoredResponse;
  try {
    response = await perform(context);
  } catch (error) {
    if (error instanceof AppError && OUTCOME_UNKNOWN_CODES.has(error.code)) await repository.park(scope, key);
    else await repository.release(scope, key);
    throw error;
  }
  await repository.complete(scope, key, response);
  return { response, replayed: false };
}

/** The stored answer, written as Express's `res.status(code).json(body)` would (json-response.ts). */
export function writeOnceResult(res: Response, { response, replayed }: OnceResult): void {
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  sendJson(res, response.statusCode, response.body);
}
