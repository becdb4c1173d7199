/**
 * Sandbox-only endpoints: what the emulated phones decrypted, and a way to make a contact write
 * to the gateway. They exist only when the gateway runs against the in-process emulator.
 */
import type { Request, Response } from 'express';
import express from 'express';
import type { Emulator, ReceivedMessage } from '../../emulator/index.js';
import type { RouteSpec } from '../app.js';
import { Errors } from '../errors/app-error.js';
import { normalisePhone } from '../messaging/phone-number.js';

export function describeReceived(m: ReceivedMessage) {
  return {
    id: m.id,
    type: m.type,
    recipient: m.chat.replace(/@.*$/, ''),
    own_device_copy: m.isOwnDeviceCopy,
    text: m.text ?? null,
    caption: m.caption ?? null,
    media: m.media
      ? {
          size_bytes: m.media.bytes.length,
          mimetype: m.media.mimetype ?? null,
          file_name: m.media.fileName ?? null,
          ptt: m.media.ptt ?? null,
          seconds: m.media.seconds ?? null,
          width: m.media.width ?? null,
          height: m.media.height ?? null,
          has_thumbnail: m.media.hasThumbnail,
        }
      : null,
    media_error: m.mediaError ?? null,
    received_at: m.receivedAt.toISOString(),
  };
}

export function sandboxRoutes(emulator: Emulator, defaultCountryCode: string): RouteSpec[] {
  const listMessages = (req: Request, res: Response) => {
    const includeOwn = req.query.include_own_copies === 'true';
    const messages = emulator.messages.filter((m) => includeOwn || !m.isOwnDeviceCopy).map(describeReceived);
    res.json({ status: 'success', sandbox: true, count: messages.length, messages });
  };
  const incoming = async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const from = normalisePhone(body.from, defaultCountryCode);
    if (typeof body.text !== 'string' || body.text.trim() === '') throw Errors.messageRequired();
    const id = await emulator.sendIncomingText(from.digits, body.text);
    res.json({ status: 'success', sandbox: true, message: 'Incoming message delivered to the gateway', data: { id, from: from.digits } });
  };
  return [
    {
      method: 'GET',
      path: '/api/sandbox/messages',
      description: 'Sandbox: messages the emulated phones received and decrypted',
      guarded: true,
      handlers: [listMessages],
    },
    {
      method: 'POST',
      path: '/api/sandbox/incoming',
      description: 'Sandbox: make a contact send a text to the gateway',
      guarded: true,
      handlers: [express.json({ limit: '64kb' }), incoming],
    },
  ];
}
