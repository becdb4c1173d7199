/**
 * The six send endpoints. Thin: parse and validate the request, call MessageSender, shape the
 * v2.0.0 response. The uploaded file is removed when the request ends, on every path.
 */
import { rm } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import { Errors } from '../errors/app-error.js';
import { checkUploadContent } from '../messaging/content-check.js';
import { localTimestamp } from '../messaging/local-time.js';
import type { MessageSender } from '../messaging/message-sender.js';
import { normalisePhone } from '../messaging/phone-number.js';
import { extensionOf, type UploadPolicy } from '../messaging/upload-policy.js';

export const MAX_TEXT_LENGTH = 65_536;

export interface SendRouteDeps {
  sender: MessageSender;
  defaultCountryCode: string;
  /** Marks every success body, so sandbox results cannot be mistaken for real deliveries. */
  sandbox: boolean;
}

const sandboxMark = (sandbox: boolean) => (sandbox ? { sandbox: true } : {});

function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

export function sendTextHandler({ sender, defaultCountryCode, sandbox }: SendRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const phone = normalisePhone(field(req.body, 'phone'), defaultCountryCode);
    const message = field(req.body, 'message');
    if (message === undefined || message === null || message === '') throw Errors.messageRequired();
    if (typeof message !== 'string') throw Errors.messageNotText();
    if (message.trim() === '') throw Errors.messageRequired();
    if (message.length > MAX_TEXT_LENGTH) throw Errors.messageTooLong(MAX_TEXT_LENGTH);

    const sent = await sender.sendText(phone, message);
    res.json({
      status: 'success',
      message: 'Text message sent successfully',
      data: { phone: phone.digits, message, type: 'text', timestamp: localTimestamp(), message_id: sent.messageId, ...sandboxMark(sandbox) },
    });
  };
}

export function sendMediaHandler(policy: UploadPolicy, { sender, defaultCountryCode, sandbox }: SendRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const file = req.file;
    let body: Record<string, unknown>;
    try {
      const phone = normalisePhone(field(req.body, 'phone'), defaultCountryCode);
      if (!file) throw Errors.fileRequired();
      const extension = extensionOf(file.originalname);
      const { detectedMime } = await checkUploadContent(policy.kind, extension, file.path);
      const rawCaption = policy.acceptsCaption ? field(req.body, 'caption') : undefined;
      const caption = typeof rawCaption === 'string' && rawCaption.trim() !== '' ? rawCaption : null;

      const sent = await sender.sendMedia(phone, {
        kind: policy.kind,
        path: file.path,
        originalName: file.originalname,
        caption: caption ?? undefined,
        detectedMime,
      });
      body = {
        status: 'success',
        message: policy.successMessage,
        data: {
          phone: phone.digits,
          filename: file.originalname,
          ...(policy.acceptsCaption ? { caption } : {}),
          type: policy.kind,
          file_size_kb: Math.round((file.size / 1024) * 100) / 100,
          timestamp: localTimestamp(),
          message_id: sent.messageId,
          ...sandboxMark(sandbox),
        },
      };
    } finally {
      // Removed before answering, so a client that sees the response never sees the file.
      if (file) await rm(file.path, { force: true });
    }
    res.json(body);
  };
}

/** Refuses with 503 before the body is read when WhatsApp is not connected. */
export function requireConnection(sender: MessageSender) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    sender.assertConnected();
    next();
  };
}
