/**
 * Sandbox-only endpoints: what the emulated phones decrypted, a way to make a contact write to the
 * gateway, and the emulated phone's side of linking (scan the QR, type a pairing code), so the
 * whole linking flow can be tried without a phone. They exist only against the in-process emulator.
 */
import type { Request, Response } from 'express';
import express from 'express';
import type { Emulator, ReceivedMessage } from '../../emulator/index.js';
import type { RouteSpec } from '../http/route-spec.js';
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { phoneField } from '../http/phone-field.js';
import { failsWith, parseRequest } from '../http/request-validation.js';

const messageRequired = failsWith(() => Errors.messageRequired());

const nullable = <T extends z.ZodType>(t: T) => t.nullable();
const receivedMessage = z.object({
  id: z.string(),
  type: z.string(),
  recipient: z.string(),
  own_device_copy: z.boolean(),
  text: nullable(z.string()),
  caption: nullable(z.string()),
  media: nullable(
    z.object({
      size_bytes: z.int(),
      mimetype: nullable(z.string()),
      file_name: nullable(z.string()),
      ptt: nullable(z.boolean()),
      seconds: nullable(z.number()),
      width: nullable(z.int()),
      height: nullable(z.int()),
      has_thumbnail: z.boolean(),
    }),
  ),
  media_error: nullable(z.string()),
  received_at: z.string().meta({ format: 'date-time' }),
});

export function describeReceived(m: ReceivedMessage): z.infer<typeof receivedMessage> {
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

/** What the routes need of the emulator: what the phones received, a contact who writes, the phone that links. */
export type SandboxPhones = Pick<Emulator, 'messages' | 'sendIncomingText' | 'enterPairingCode' | 'scanQr'>;

const linkedAnswer = z.object({ status: z.literal('success'), sandbox: z.literal(true), message: z.string(), data: z.object({ device: z.string() }) });

/** `currentQr`: the QR the gateway shows now (null when none), for the phone to scan. */
export function sandboxRoutes(emulator: SandboxPhones, defaultCountryCode: string, currentQr: () => string | null = () => null): RouteSpec[] {
  const listQuery = z.object({
    include_own_copies: z
      .enum(['true', 'false'], { error: failsWith(() => Errors.invalidParameter('include_own_copies', 'true or false')) })
      .optional()
      .meta({ description: "Include the copies WhatsApp sends to the account's own devices" }),
  });
  const pairingCodeFields = z.object({
    code: z
      .string({ error: failsWith(() => Errors.invalidParameter('code', 'the 8-character pairing code from POST /api/pairing-code')) })
      .trim()
      .regex(/^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/, {
        error: failsWith(() => Errors.invalidParameter('code', 'the 8-character pairing code from POST /api/pairing-code')),
      })
      .meta({ examples: ['ABCD-1234'] }),
  });
  const listMessages = (req: Request, res: Response) => {
    const includeOwn = parseRequest(listQuery, req.query).include_own_copies === 'true';
    const messages = emulator.messages.filter((m) => includeOwn || !m.isOwnDeviceCopy).map(describeReceived);
    res.json({ status: 'success', sandbox: true, count: messages.length, messages });
  };
  const incomingFields = z.object({
    from: phoneField(defaultCountryCode, 'The contact who writes'),
    text: z
      .string({ error: messageRequired })
      .regex(/\S/, { error: messageRequired })
      .meta({ examples: ['Hi from the sandbox'] }),
  });
  const incoming = async (req: Request, res: Response) => {
    const { from, text } = parseRequest(incomingFields, req.body);
    const id = await emulator.sendIncomingText(from.digits, text);
    res.json({ status: 'success', sandbox: true, message: 'Incoming message delivered to the gateway', data: { id, from: from.digits } });
  };
  const enterPairingCode = async (req: Request, res: Response) => {
    const { code } = parseRequest(pairingCodeFields, req.body ?? {});
    const linked = await emulator.enterPairingCode(code).catch((error: unknown) => {
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
    res.json({
      status: 'success',
      sandbox: true,
      message: 'The emulated phone scanned the QR; the gateway connects in a moment',
      data: { device: linked.jid },
    });
  };
  return [
    {
      method: 'POST',
      path: '/api/sandbox/enter-pairing-code',
      description: 'Sandbox: the emulated phone types a pairing code (from POST /api/pairing-code)',
      guarded: true,
      doc: {
        tag: 'Sandbox',
        body: {
          content: { 'application/json': pairingCodeFields },
          examples: { code: { summary: 'The code the gateway gave', value: { code: 'ABCD-1234' } } },
        },
        responses: { 200: { description: 'The emulated phone linked the gateway', schema: linkedAnswer } },
        errors: ['INVALID_PARAMETER', 'SANDBOX_LINK_FAILED', 'MALFORMED_JSON', 'BODY_TOO_LARGE'],
      },
      handlers: [express.json({ limit: '4kb' }), enterPairingCode],
    },
    {
      method: 'POST',
      path: '/api/sandbox/scan-qr',
      description: 'Sandbox: the emulated phone scans the QR the gateway shows',
      guarded: true,
      doc: {
        tag: 'Sandbox',
        body: null,
        responses: { 200: { description: 'The emulated phone scanned the QR', schema: linkedAnswer } },
        errors: ['SANDBOX_LINK_FAILED'],
      },
      handlers: [scanQr],
    },
    {
      method: 'GET',
      path: '/api/sandbox/messages',
      description: 'Sandbox: messages the emulated phones received and decrypted',
      guarded: true,
      doc: {
        tag: 'Sandbox',
        query: listQuery,
        responses: {
          200: {
            description: 'What the emulated phones received',
            schema: z.object({ status: z.literal('success'), sandbox: z.literal(true), count: z.int(), messages: z.array(receivedMessage) }),
          },
        },
        errors: ['INVALID_PARAMETER'],
      },
      handlers: [listMessages],
    },
    {
      method: 'POST',
      path: '/api/sandbox/incoming',
      description: 'Sandbox: make a contact send a text to the gateway',
      guarded: true,
      doc: {
        tag: 'Sandbox',
        body: {
          content: { 'application/json': incomingFields },
          examples: { text: { summary: 'A contact writes', value: { from: '6281234567890', text: 'Hi from the sandbox' } } },
        },
        responses: {
          200: {
            description: 'Delivered to the gateway',
            schema: z.object({
              status: z.literal('success'),
              sandbox: z.literal(true),
              message: z.string(),
              data: z.object({ id: z.string(), from: z.string() }),
            }),
          },
        },
        errors: ['PHONE_REQUIRED', 'INVALID_PHONE', 'MESSAGE_REQUIRED', 'MALFORMED_JSON', 'BODY_TOO_LARGE'],
      },
      handlers: [express.json({ limit: '64kb' }), incoming],
    },
  ];
}
