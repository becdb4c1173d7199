/**
 * One send endpoint for a kind that needs no file (location, contact, reaction, poll): parse the
 * body with the kind's schema, build its content, hand it to the DeliveryService (records, outbox,
 * pacing, idempotency as for a text) and answer in v2.0.0's shape (200 sent, 202 queued).
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { MessageType } from '../domain/vocabulary.js';
import type { IdempotencyRepository } from '../http/idempotency-repository.js';
import { performOnce, writeOnceResult } from '../http/idempotency.js';
import { phoneField } from '../http/phone-field.js';
import { parseRequest } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { requireConnection, sendResponse } from '../http/send-routes.js';
import { textBodyParsers } from '../http/text-body.js';
import type { ReadyContent } from '../messaging/content-request.js';
import type { DeliveryService } from '../messaging/delivery-service.js';
import type { NormalisedPhone } from '../messaging/phone-number.js';
import { phoneRecipient } from '../messaging/recipient.js';
import type { RouteDoc } from '../openapi/route-doc.js';

export interface KindRouteDeps {
  delivery: DeliveryService;
  idempotency: IdempotencyRepository;
  /** Marks every success body, so sandbox results cannot be mistaken for real deliveries. */
  sandbox: boolean;
  defaultCountryCode: string;
}

/**
 * Who a kind's message goes to: the same `phone` field as send-message. This is the one place the
 * addressing fragment (`phone` | `group`, `reply_to`, `mentions`) drops in for all four kinds;
 * `toRecipient` below is where its parsed value becomes the Recipient.
 */
export function recipientFields(defaultCountryCode: string) {
  return { phone: phoneField(defaultCountryCode) };
}

type Addressed = { phone: NormalisedPhone };

/** What a kind declares; the handler does the rest. */
export interface KindEndpoint<S extends z.ZodType<Addressed>> {
  path: string;
  description: string;
  successMessage: string;
  type: MessageType;
  fields: S;
  doc: RouteDoc;
  /** The fields that make two requests the same (Idempotency-Key fingerprint), besides the phone. */
  fingerprint(parsed: z.output<S>): Record<string, unknown>;
  /** The content to send; `resumeRecordId` is set when an idempotent retry continues an earlier record. */
  content(parsed: z.output<S>, to: { jid: string }, resumeRecordId?: string): Promise<ReadyContent>;
  /** The response's `data` beside phone, type and the ids. */
  data(parsed: z.output<S>, content: ReadyContent): Record<string, unknown>;
  /** Told the new record's id before anything is sent (a poll is kept with it). */
  onRecord?(recordId: string, content: ReadyContent): Promise<void>;
}

export function kindRoute<S extends z.ZodType<Addressed>>(endpoint: KindEndpoint<S>, deps: KindRouteDeps): RouteSpec {
  const { delivery, idempotency, sandbox } = deps;
  const handler = async (req: Request, res: Response): Promise<void> => {
    const parsed = parseRequest(endpoint.fields, req.body);
    const phone = parsed.phone;
    const fields = { phone: phone.digits, ...endpoint.fingerprint(parsed) };
    const result = await performOnce(req, idempotency, { fields }, async (once) => {
      const content = await endpoint.content(parsed, { jid: phone.jid }, once.resumeRecordId);
      const onRecord = async (recordId: string) => {
        await endpoint.onRecord?.(recordId, content);
        await once.bindRecord(recordId);
      };
      const outcome = await delivery.send({ to: phoneRecipient(phone), content }, { resumeRecordId: once.resumeRecordId, onRecord });
      return sendResponse(endpoint.successMessage, outcome, { phone: phone.digits, ...endpoint.data(parsed, content), type: endpoint.type }, sandbox);
    });
    writeOnceResult(res, result);
  };
  return {
    method: 'POST',
    path: endpoint.path,
    description: endpoint.description,
    guarded: true,
    doc: endpoint.doc,
    handlers: [requireConnection(delivery), ...textBodyParsers(), handler],
  };
}
