/**
 * What the linking routes accept and answer (GET `/api/qr`, POST `/api/pairing-code`, POST
 * `/api/logout`), as zod schemas: the handlers validate with them, the OpenAPI document shows them.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { phoneField } from './phone-field.js';
import { failsWith } from './request-validation.js';

export const qrQuery = z.object({
  format: z
    .enum(['json', 'png', 'svg'], { error: failsWith(() => Errors.invalidParameter('format', 'json, png, svg')) })
    .optional()
    .meta({ description: '`png` or `svg` for an image to open in a browser; JSON (v2.0.0) by default' }),
});

export const qrDoc = (): RouteDoc => ({
  tag: 'Linking',
  details:
    'The QR is a credential: whoever scans it links their account to this gateway. It refreshes every 20–60 s. ' +
    'A 503 QR_NOT_AVAILABLE carries `reason` (`connecting`, `waiting_to_retry` with `next_retry_at`, `pairing_code_pending`) ' +
    'and a `Retry-After` header with the real time until asking again can help.',
  query: qrQuery,
  responses: {
    200: {
      description: 'The current QR, or word that no QR is needed; with `?format=png|svg`, the QR as an image',
      schema: z.union([
        z.object({ status: z.literal('success'), qr: z.string(), message: z.literal('QR code available for scanning') }),
        z.object({ status: z.literal('success'), message: z.literal('Bot already connected, no QR needed') }),
      ]),
      otherMediaTypes: ['image/png', 'image/svg+xml'],
      examples: {
        available: { summary: 'QR available', value: { status: 'success', qr: '2@8QJwrEjN8hKDGkjgh...', message: 'QR code available for scanning' } },
        connected: { summary: 'Already connected', value: { status: 'success', message: 'Bot already connected, no QR needed' } },
      },
    },
  },
  errors: ['QR_NOT_AVAILABLE', 'CONNECTION_STOPPED', 'INVALID_PARAMETER'],
});

export const pairingCodeBody = (defaultCountryCode: string) =>
  z.object({ phone: phoneField(defaultCountryCode, 'The phone number of the WhatsApp account to link') });

export const pairingCodeDoc = (defaultCountryCode: string): RouteDoc => {
  const schema = pairingCodeBody(defaultCountryCode);
  return {
    tag: 'Linking',
    details:
      'The code is returned only once WhatsApp accepted the request; it lives about 2½ minutes and only the newest one counts. ' +
      "QRs pause while a code is pending. A refusal (502) carries `whatsapp_error` with WhatsApp's code and text.",
    body: {
      content: { 'application/json': schema, 'application/x-www-form-urlencoded': schema, 'multipart/form-data': schema },
      examples: { phone: { summary: 'Link the account of this number', value: { phone: '6281234567890' } } },
    },
    responses: {
      200: {
        description: 'The code to type on the phone',
        schema: z.object({
          status: z.literal('success'),
          message: z.literal('Enter this code on the phone: Linked devices → Link with phone number instead'),
          data: z.object({ pairing_code: z.string().meta({ examples: ['ABCD1234'] }), phone: z.string() }),
        }),
        examples: {
          code: {
            summary: 'A code',
            value: {
              status: 'success',
              message: 'Enter this code on the phone: Linked devices → Link with phone number instead',
              data: { pairing_code: 'ABCD1234', phone: '6281234567890' },
            },
          },
        },
      },
    },
    errors: [
      'PHONE_REQUIRED',
      'INVALID_PHONE',
      'MALFORMED_JSON',
      'ALREADY_CONNECTED',
      'ALREADY_LINKED',
      'PAIRING_CODE_REFUSED',
      'PAIRING_CODE_NO_ANSWER',
      'CONNECTION_STOPPED',
    ],
  };
};

export const logoutDoc = (): RouteDoc => ({
  tag: 'Linking',
  details: 'The phone drops this device, stored credentials are wiped, and a new QR is offered at /api/qr.',
  body: null,
  responses: {
    200: {
      description: 'Unlinked',
      schema: z.object({ status: z.literal('success'), message: z.string() }),
      examples: {
        loggedOut: {
          summary: 'Unlinked',
          value: { status: 'success', message: 'Logged out: the device was unlinked; scan the new QR at /api/qr to link again' },
        },
      },
    },
  },
});
