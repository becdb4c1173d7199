/**
 * One send endpoint for a kind that needs no file (location, contact, reaction, poll): read who it
 * goes to (src/http/addressing.ts, as every send endpoint), parse the body with the kind's schema,
 * build its content, hand it to the DeliveryService (records, outbox, pacing, idempotency as for a
 * text) and answer in v2.0.0's shape (200 sent, 202 queued).
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { MessageType } from '../domain/vocabulary.js';
import { Errors } from '../errors/app-error.js';
import { addressingFields, readAddressing, sendOptionFields, type Addressing } from '../http/addressing.js';
import type { IdempotencyRepository } from '../http/idempotency-repository.js';
import { performOnce, writeOnceResult } from '../http/idempotency.js';
import { parseRequest } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { onceOptions, requireConnection, sendResponse } from '../http/send-routes.js';
import { textBodyParsers } from '../http/text-body.js';
import type { ReadyContent } from '../messaging/content-request.js';
import type { DeliveryService } from '../messaging/delivery-service.js';
import { resolveRecipient } from '../messaging/recipient.js';
import type { RouteDoc } from '../openapi/route-doc.js';

export interface KindRouteDeps {
  delivery: DeliveryService;
  idempotency: IdempotencyRepository;
  /** Marks every success body, so sandbox results cannot be mistaken for real deliveries. */
  sandbox: boolean;
  defaultCountryCode: string;
}

/**
 * Who a kind's message goes to and how it relates to the chat, as on every send endpoint: `phone`
 * (or a LID) | `group`, and the options `reply_to` and `mentions` (without them for a kind that
 * refuses the options, see KindEndpoint.sendOptions). In the schema for the OpenAPI document; the
 * handler reads them with readAddressing before the kind's own fields.
 */
export function recipientFields(defaultCountryCode: string, sendOptions: SendOptionsPolicy = 'accepted') {
  return sendOptions === 'accepted' ? { ...addressingFields(defaultCountryCode), ...sendOptionFields() } : addressingFields(defaultCountryCode);
}

/** Whether a kind carries `reply_to` and `mentions`, or refuses them with 400 OPTION_NOT_SUPPORTED and why. */
export type SendOptionsPolicy = 'accepted' | { refused: string };

/** What a kind declares; the handler does the rest. */
export interface KindEndpoint<S extends z.ZodType> {
  path: string;
  description: string;
  successMessage: string;
  type: MessageType;
  fields: S;
  sendOptions: SendOptionsPolicy;
  /** Built with the OpenAPI document (see DocumentedRoute.doc). */
  doc: () => RouteDoc;
  /** The fields that make two requests the same (Idempotency-Key fingerprint), besides the recipient and the options. */
  fingerprint(parsed: z.output<S>): Record<string, unknown>;
  /**
   * The content to send to the chat `chat.jid` (a person's JID, a LID or a group's JID), after a group
   * was found to be one the account is in; `resumeRecordId` is set when an idempotent retry continues an earlier record.
   */
  content(parsed: z.output<S>, chat: { jid: string }, resumeRecordId?: string): Promise<ReadyContent>;
  /** The response's `data` beside phone or group, type and the ids. */
  data(parsed: z.output<S>, content: ReadyContent): Record<string, unknown>;
  /** Told the new record's id before anything is sent (a poll is kept with it). */
  onRecord?(recordId: string, content: ReadyContent): Promise<void>;
}

const given = (value: unknown): boolean =>
  value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '') && !(Array.isArray(value) && value.length === 0);

/** readAddressing, with the options refused before anything else of the kind is read when the kind cannot carry them. */
function readKindAddressing(body: unknown, defaultCountryCode: string, sendOptions: SendOptionsPolicy): Addressing {
  if (sendOptions === 'accepted') return readAddressing(body, defaultCountryCode);
  const { reply_to: replyTo, mentions, ...rest } = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  // The recipient answers first (`Phone number required`), as on every send endpoint.
  const addressing = readAddressing(rest, defaultCountryCode);
  if (given(replyTo)) throw Errors.optionNotSupported('reply_to', sendOptions.refused);
  if (given(mentions)) throw Errors.optionNotSupported('mentions', sendOptions.refused);
  return addressing;
}

export function kindRoute<S extends z.ZodType>(endpoint: KindEndpoint<S>, deps: KindRouteDeps): RouteSpec {
  const { delivery, idempotency, sandbox } = deps;
  const handler = async (req: Request, res: Response): Promise<void> => {
    const { to, echo, options } = readKindAddressing(req.body, deps.defaultCountryCode, endpoint.sendOptions);
    const parsed = parseRequest(endpoint.fields, req.body);
    const chat = { jid: resolveRecipient(to).jid };
    const fields = { ...echo, ...endpoint.fingerprint(parsed), ...onceOptions(options) };
    const result = await performOnce(req, idempotency, { fields }, async (once) => {
      // A group the account is not in answers 404 before content that names the chat's messages is built.
      await delivery.checkRecipient(to);
      const content = await endpoint.content(parsed, chat, once.resumeRecordId);
      const onRecord = async (recordId: string) => {
        await endpoint.onRecord?.(recordId, content);
        await once.bindRecord(recordId);
      };
      const outcome = await delivery.send({ to, content, options }, { resumeRecordId: once.resumeRecordId, onRecord });
      return sendResponse(endpoint.successMessage, outcome, { ...echo, ...endpoint.data(parsed, content), type: endpoint.type }, sandbox);
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
