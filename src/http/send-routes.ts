/**
 * The six send endpoints. Thin: validate the request with its schema (send-schemas.ts), hand it to the DeliveryService,
 * shape the v2.0.0 response (200 sent, or 202 queued when the outbox holds it). The uploaded file
 * is removed before the response is written, on every path.
 */
import { MEDIA_KINDS } from '../domain/vocabulary.js';
import { rm } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import { Errors } from '../errors/app-error.js';
import { checkUploadContent } from '../messaging/content-check.js';
import type { DeliveryService, SendOutcome } from '../messaging/delivery-service.js';
import type { SendOptions } from '../messaging/reply-context.js';
import { localTimestamp } from '../messaging/local-time.js';
import { extensionOf, type UploadPolicy } from '../messaging/upload-policy.js';
import { readAddressing, type Addressing } from './addressing.js';
import type { IdempotencyRepository, StoredResponse } from './idempotency-repository.js';
import { performOnce, writeOnceResult, type OnceResult } from './idempotency.js';
import { parseRequest } from './request-validation.js';
import type { Config } from '../config/config.js';
import type { MediaSource } from '../media-source/media-source.js';
import type { RouteSpec } from './route-spec.js';
import { sendMediaDoc, sendTextDoc, sendTextFields, uploadFields, type SendTextFields, type UploadFields } from './send-schemas.js';
import { plainTextMessage } from './send-text-plain.js';
import { textBodyParsers } from './text-body.js';
import { uploadSingleFile } from './upload.js';

export interface SendRouteDeps {
  delivery: DeliveryService;
  idempotency: IdempotencyRepository;
  /** Marks every success body, so sandbox results cannot be mistaken for real deliveries. */
  sandbox: boolean;
  /** For phone numbers with a leading 0 (`phone`, `mentions`). */
  defaultCountryCode: string;
}

/** v2.0.0's body for a sent message, or 202 with the same data when it was queued. */
export function sendResponse(successMessage: string, outcome: SendOutcome, data: Record<string, unknown>, sandbox: boolean): StoredResponse {
  const queued = outcome.status === 'queued';
  return {
    statusCode: queued ? 202 : 200,
    body: {
      status: 'success',
      message: queued ? successMessage.replace('sent successfully', 'queued for delivery') : successMessage,
      data: {
        ...data,
        timestamp: localTimestamp(),
        message_id: outcome.messageId,
        id: outcome.id,
        delivery_status: outcome.status,
        ...(sandbox ? { sandbox: true } : {}),
      },
    },
  };
}

export function sendTextHandler({ delivery, idempotency, sandbox, defaultCountryCode }: SendRouteDeps, fields: SendTextFields) {
  // The checks run before any await: a refused request (the commonest 400s) is answered from the
  // throw itself, without a rejected promise for Express to catch a tick later.
  const plainMessage = plainTextMessage(fields);
  return (req: Request, res: Response): Promise<void> => {
    const { to, echo, options } = readAddressing(req.body, defaultCountryCode);
    // The schema decides whenever the shortcut is not sure (and alone refuses): same answers.
    const message = plainMessage?.(req.body) ?? parseRequest(fields, req.body).message;
    return sendText(req, res, { to, echo, options, message });
  };

  async function sendText(req: Request, res: Response, { to, echo, options, message }: Addressing & { message: string }): Promise<void> {
    const result = await performOnce(req, idempotency, { fields: { ...echo, message, ...onceOptions(options) } }, async (once) => {
      const outcome = await delivery.send(
        { to, content: { kind: 'text', text: message }, options },
        { resumeRecordId: once.resumeRecordId, onRecord: once.bindRecord },
      );
      return sendResponse('Text message sent successfully', outcome, { ...echo, message, type: 'text' }, sandbox);
    });
    writeOnceResult(res, result);
  }
}

export function sendMediaHandler(policy: UploadPolicy, { delivery, idempotency, sandbox, defaultCountryCode }: SendRouteDeps, formFields: UploadFields) {
  return async (req: Request, res: Response): Promise<void> => {
    const file = req.file;
    let result: OnceResult | undefined;
    try {
      const { to, echo, options } = readAddressing(req.body, defaultCountryCode);
      const parsed = parseRequest(formFields, req.body);
      if (!file) throw Errors.fileRequired();
      const extension = extensionOf(file.originalname);
      const { detectedMime } = await checkUploadContent(policy.kind, extension, file.path);
      const caption = 'caption' in parsed ? (parsed.caption as string | null) : null;
      const data = {
        ...echo,
        filename: file.originalname,
        ...(policy.acceptsCaption ? { caption } : {}),
        type: policy.kind,
        file_size_kb: Math.round((file.size / 1024) * 100) / 100,
      };

      const fields = { ...echo, caption, filename: file.originalname, ...onceOptions(options) };
      result = await performOnce(req, idempotency, { fields, filePath: file.path }, async (once) => {
        const outcome = await delivery.send(
          {
            to,
            options,
            content: {
              kind: policy.kind,
              upload: { kind: policy.kind, path: file.path, originalName: file.originalname, caption: caption ?? undefined, detectedMime },
            },
          },
          { resumeRecordId: once.resumeRecordId, onRecord: once.bindRecord },
        );
        return sendResponse(policy.successMessage, outcome, data, sandbox);
      });
    } finally {
      // Removed before answering, so a client that sees the response never sees the file.
      if (file) await rm(file.path, { force: true });
    }
    if (result) writeOnceResult(res, result);
  };
}

/** The options as the idempotency layer compares requests (absent ones leave v2.0.0's fingerprint as it was). */
export function onceOptions(options: SendOptions): Record<string, unknown> {
  return { ...(options.replyTo ? { reply_to: options.replyTo } : {}), ...(options.mentions ? { mentions: options.mentions } : {}) };
}

/** Refuses with 503 before the body is read when WhatsApp is not connected and nothing queues. */
export function requireConnection(delivery: DeliveryService) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    delivery.assertCanAccept();
    next();
  };
}

/** POST /api/send-message and one upload route per media kind. */
export function sendRoutes(config: Config, deps: Omit<SendRouteDeps, 'sandbox' | 'defaultCountryCode'>, mediaSource: MediaSource): RouteSpec[] {
  const cc = config.defaultCountryCode;
  const sendDeps = { ...deps, sandbox: config.sandbox, defaultCountryCode: cc };
  const textFields = sendTextFields(cc);
  return [
    {
      method: 'POST',
      path: '/api/send-message',
      description: 'Send text message',
      guarded: true,
      doc: () => sendTextDoc(textFields),
      handlers: [requireConnection(deps.delivery), ...textBodyParsers(), sendTextHandler(sendDeps, textFields)],
    },
    ...MEDIA_KINDS.map((kind): RouteSpec => {
      const policy = config.uploads[kind];
      const fields = uploadFields(policy, cc);
      return {
        method: 'POST',
        path: policy.endpoint,
        description: policy.description,
        guarded: true,
        doc: () => sendMediaDoc(policy, fields),
        handlers: [requireConnection(deps.delivery), uploadSingleFile(policy, config.uploadDir, mediaSource), sendMediaHandler(policy, sendDeps, fields)],
      };
    }),
  ];
}
