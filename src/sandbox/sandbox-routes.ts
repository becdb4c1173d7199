/**
 * Sandbox-only endpoints: what the emulated phones decrypted, a way to make a contact write to the
 * gateway, and the emulated phone's side of linking (scan the QR, type a pairing code), so the
 * whole linking flow can be tried without a phone. They exist only against the in-process emulator.
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

const linkFailure = (error: unknown) => Errors.sandboxLinkFailed(error instanceof Error ? error.message : String(error));

/** `currentQr`: the QR the gateway shows now (null when none), for the phone to scan. */
export function sandboxRoutes(emulator: Emulator, defaultCountryCode: string, currentQr: () => string | null = () => null): RouteSpec[] {
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
  const enterPairingCode = async (req: Request, res: Response) => {
    const code = ((req.body ?? {}) as Record<string, unknown>).code;
    if (typeof code !== 'string' || !/^[0-9a-z]{4}-?[0-9a-z]{4}$/i.test(code.trim())) {
      throw Errors.invalidParameter('code', 'the 8-character pairing code from POST /api/pairing-code');
    }
    const linked = await emulator.enterPairingCode(code.trim()).catch((error: unknown) => {
      throw linkFailure(error);
    });
    res.json({ status: 'success', sandbox: true, message: 'The emulated phone linked the gateway; it connects in a moment', data: { device: linked.jid } });
  };
  const scanQr = async (_req: Request, res: Response) => {
    const qr = currentQr();
    if (!qr) throw Errors.sandboxLinkFailed('the gateway shows no QR right now (GET /api/qr says why)');
    const linked = await emulator.scanQr(qr).catch((error: unknown) => {
      throw linkFailure(error);
    });
    res.json({ status: 'success', sandbox: true, message: 'The emulated phone scanned the QR; the gateway connects in a moment', data: { device: linked.jid } });
  };
  return [
    {
      method: 'POST',
      path: '/api/sandbox/enter-pairing-code',
      description: 'Sandbox: the emulated phone types a pairing code (from POST /api/pairing-code)',
      guarded: true,
      handlers: [express.json({ limit: '4kb' }), enterPairingCode],
    },
    {
      method: 'POST',
      path: '/api/sandbox/scan-qr',
      description: 'Sandbox: the emulated phone scans the QR the gateway shows',
      guarded: true,
      handlers: [scanQr],
    },
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
