/**
 * Linking the WhatsApp account without a terminal: GET `/api/qr` (JSON as v2.0.0, or a PNG/SVG
 * image) and POST `/api/pairing-code` (an 8-character code to type on the phone instead).
 */
import type { Request, Response } from 'express';
import type QRCodeModule from 'qrcode';
import { loadOnFirstUse } from '../load-on-first-use.js';
import { Errors } from '../errors/app-error.js';
import type { ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';
import { botStatus, logout, type InfoDeps } from './info-routes.js';
import { botStatusDoc } from './info-schemas.js';
import { logoutDoc, pairingCodeBody, pairingCodeDoc, qrDoc, qrQuery } from './linking-schemas.js';
import { parseRequest } from './request-validation.js';
import type { RouteSpec } from './route-spec.js';
import { textBodyParsers } from './text-body.js';

/** Only an image QR needs it: a linked gateway never loads it (idle memory). */
const QRCode = loadOnFirstUse<typeof QRCodeModule>('qrcode');

export interface LinkingDeps {
  transport: WhatsAppTransport;
  defaultCountryCode: string;
}

/** Seconds until asking again can help: until the next connection attempt when one is scheduled. */
function qrUnavailable(status: ConnectionStatus, now = Date.now()) {
  if (status.phase === 'waiting_to_retry' && status.nextRetryAt) {
    const seconds = Math.max(1, Math.ceil((Date.parse(status.nextRetryAt) - now) / 1000));
    return Errors.qrNotAvailable('waiting_to_retry', seconds, undefined, { next_retry_at: status.nextRetryAt });
  }
  if (status.phase === 'awaiting_pairing_code') {
    // Nothing is scheduled: the state changes when the code is typed on the phone or expires.
    return Errors.qrNotAvailable(
      'pairing_code_pending',
      5,
      'QR code not available: a pairing code is in progress (enter it on the phone, or request a new one)',
    );
  }
  // A socket is being opened: WhatsApp's QR refs usually follow within a second.
  return Errors.qrNotAvailable('connecting', 1);
}

/** The QR as v2.0.0 JSON, or (additions) as a PNG or SVG image with ?format=png|svg. */
export function qrCode(deps: Pick<LinkingDeps, 'transport'>) {
  return async (req: Request, res: Response): Promise<void> => {
    const { format = 'json' } = parseRequest(qrQuery, req.query);
    const { transport } = deps;
    const status = transport.status();
    if (status.connected) {
      res.json({ status: 'success', message: 'Bot already connected, no QR needed' });
      return;
    }
    const qr = transport.currentQr();
    // No QR will come by waiting: say so instead of "not available yet" with a Retry-After.
    if (!qr && !status.running) throw Errors.connectionStopped(status.phase);
    if (!qr) throw qrUnavailable(status);
    // The QR is a credential for its 20-60 s of life: no cache may keep it.
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'png') {
      res.type('png').send(await QRCode().toBuffer(qr, { type: 'png', margin: 2, width: 400 }));
    } else if (format === 'svg') {
      res.type('image/svg+xml').send(await QRCode().toString(qr, { type: 'svg', margin: 2 }));
    } else {
      res.json({ status: 'success', qr, message: 'QR code available for scanning' });
    }
  };
}

/**
 * Asks WhatsApp for a pairing code for the given phone (an addition to v2.0.0). The code is
 * returned only once WhatsApp has accepted the request; QRs pause while it is pending.
 */
export function pairingCode(deps: LinkingDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const { phone } = parseRequest(pairingCodeBody(deps.defaultCountryCode), req.body ?? {});
    const status = deps.transport.status();
    if (status.connected) throw Errors.alreadyConnected();
    if (!status.running) throw Errors.connectionStopped(status.phase);
    const code = await deps.transport.requestPairingCode(phone.digits);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      status: 'success',
      message: 'Enter this code on the phone: Linked devices → Link with phone number instead',
      data: { pairing_code: code, phone: phone.digits },
    });
  };
}

/** The account's link to WhatsApp: its status, linking by QR or pairing code, and unlinking. */
export function linkingRoutes(deps: InfoDeps): RouteSpec[] {
  const { transport, config } = deps;
  return [
    { method: 'GET', path: '/api/status', description: 'Bot status', guarded: true, doc: botStatusDoc, handlers: [botStatus(deps)] },
    { method: 'GET', path: '/api/qr', description: 'QR code for linking WhatsApp', guarded: true, doc: qrDoc, handlers: [qrCode({ transport })] },
    {
      method: 'POST',
      path: '/api/pairing-code',
      description: 'Pairing code to link WhatsApp by phone number instead of a QR',
      guarded: true,
      doc: () => pairingCodeDoc(config.defaultCountryCode),
      handlers: [...textBodyParsers(), pairingCode({ transport, defaultCountryCode: config.defaultCountryCode })],
    },
    {
      method: 'POST',
      path: '/api/logout',
      description: 'Unlink the WhatsApp account (a new QR follows)',
      guarded: true,
      doc: logoutDoc,
      handlers: [logout(deps)],
    },
  ];
}
