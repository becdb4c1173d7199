/**
 * What the six send endpoints accept and answer, as zod schemas: the handlers validate with the
 * request schemas, and the OpenAPI document is built from all of them. Examples are v2.0.0's.
 */
import type { MediaKind } from '../domain/vocabulary.js';
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import type { UploadPolicy } from '../messaging/upload-policy.js';
import { formatSize } from '../messaging/upload-policy.js';
import type { ErrorCode } from '../openapi/error-codes.js';
import { builtOnFirstUse, type Example, type RouteDoc } from '../openapi/route-doc.js';
import { ADDRESSING_ERRORS, addressingFields, sendOptionFields } from './addressing.js';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency.js';
import { failsWith } from './request-validation.js';

export const MAX_TEXT_LENGTH = 65_536;

const messageRequired = failsWith(() => Errors.messageRequired());

export const messageField = z
  .string({ error: failsWith((issue) => (issue.input === undefined || issue.input === null ? Errors.messageRequired() : Errors.messageNotText())) })
  .min(1, { error: messageRequired })
  // Whitespace alone is no message (JS's \s is the set String.prototype.trim removes).
  .regex(/\S/, { error: messageRequired })
  .max(MAX_TEXT_LENGTH, { error: failsWith(() => Errors.messageTooLong(MAX_TEXT_LENGTH)) })
  .meta({ description: 'The text to send', examples: ['Hello from WhatsApp Gateway API!'] });

/** Not part of v2.0.0's checks: a caption that is not text, or only spaces, is no caption. */
const captionField = z
  .string()
  .optional()
  .catch(undefined)
  .transform((caption) => (caption !== undefined && caption.trim() !== '' ? caption : null))
  .meta({ description: 'Optional caption shown under the media' });

export function sendTextFields(defaultCountryCode: string) {
  return z.object({ ...addressingFields(defaultCountryCode), message: messageField, ...sendOptionFields() });
}
export type SendTextFields = ReturnType<typeof sendTextFields>;

export function uploadFields(policy: UploadPolicy, defaultCountryCode: string) {
  return z.object({ ...addressingFields(defaultCountryCode), ...(policy.acceptsCaption ? { caption: captionField } : {}), ...sendOptionFields() });
}
export type UploadFields = ReturnType<typeof uploadFields>;

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

// Documentation only: built with the first OpenAPI document (route-doc.ts's builtOnFirstUse).
const sentData = builtOnFirstUse(() => ({
  phone: z.string().optional().meta({ description: 'The number as normalised digits (a LID recipient: its JID); absent on a group send' }),
  group: z.string().optional().meta({ description: 'The group JID, on a group send (instead of `phone`)' }),
  timestamp: z.string().regex(LOCAL_TIME).meta({ description: 'Local server time, YYYY-MM-DD HH:mm:ss' }),
  message_id: z.string().meta({ description: "WhatsApp's message id" }),
  id: z.string().meta({ description: 'Our record id (GET /api/messages/{id})' }),
  delivery_status: z.enum(['sent', 'delivered', 'read', 'queued']).meta({
    description: "`sent`: WhatsApp's server acknowledged it (`delivered`/`read` when a receipt came even sooner); `queued`: the outbox holds it (202)",
  }),
  sandbox: z.literal(true).optional().meta({ description: 'Present on a sandbox gateway: nothing reached real WhatsApp' }),
}));

export function sentBody(successMessage: string, data: z.ZodRawShape) {
  const queued = successMessage.replace('sent successfully', 'queued for delivery');
  return z.object({ status: z.literal('success'), message: z.enum([successMessage, queued]), data: z.object({ ...sentData(), ...data }) });
}

export const exampleIds = { message_id: '3EB0B057F6CD72C5DB18EC', id: '3d271fd4-5b8e-4b7a-9c1e-2f0a6d8e4c11' };

/**
 * Errors of anything that goes out to WhatsApp through the sender, a send or a change (edit, delete):
 * the Idempotency-Key's, and the send's own outcome (refused, no connection, outbox full, no ack).
 */
export const OUTGOING_ERRORS: readonly ErrorCode[] = [
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_PROGRESS',
  'SEND_FAILED',
  'BOT_NOT_CONNECTED',
  'OUTBOX_FULL',
  'ACCOUNT_RESTRICTED',
  'SEND_OUTCOME_UNKNOWN',
];

/** Errors every send can answer with once its input is read. */
export const SEND_ERRORS: readonly ErrorCode[] = ['PHONE_REQUIRED', 'INVALID_PHONE', ...OUTGOING_ERRORS, ...ADDRESSING_ERRORS];

/** The Idempotency-Key header as a route documents it, with the pattern the key is checked against. */
export const idempotencyKeyHeader = (description: string) =>
  z.object({ 'Idempotency-Key': z.string().regex(IDEMPOTENCY_KEY_PATTERN).optional().meta({ description }) });

export const idempotencyHeader = builtOnFirstUse(() =>
  idempotencyKeyHeader('Any 1 to 255 visible ASCII characters; the same key with the same request within 24 h answers again without sending'),
);

export const SEND_DETAILS =
  "Answers 200 once WhatsApp's server acknowledged the message, or 202 when the outbox (QUEUE_WHEN_DISCONNECTED) queued it " +
  'while WhatsApp is unreachable. An `Idempotency-Key` header makes a retry within 24 h return the first answer ' +
  'instead of sending twice. Without a server ack within SEND_ACK_TIMEOUT the answer is 504 SEND_OUTCOME_UNKNOWN: ' +
  'a retry with the same key continues the same message under the same WhatsApp id. ' +
  "Exactly one of `phone` (or a contact's LID, `123456789012345@lid`) and `group`; `reply_to` quotes a message of the same chat, " +
  '`mentions` lists the numbers `@<digits>` in the text mentions.';

export function sendTextDoc(fields: SendTextFields): RouteDoc {
  const example = { phone: '6281234567890', message: 'Hello from WhatsApp Gateway API!' };
  const data = { ...example, type: 'text', timestamp: '2025-09-23 13:45:30', ...exampleIds };
  const { phone: _phone, ...rest } = data;
  const groupData = { group: '120363012345678901@g.us', ...rest, message: 'Thanks @6281234567890!' };
  const schema = sentBody('Text message sent successfully', { message: z.string(), type: z.literal('text') });
  return {
    tag: 'Sending',
    details: `${SEND_DETAILS} The body may be JSON, a form, or multipart fields.`,
    headers: idempotencyHeader(),
    body: {
      content: { 'application/json': fields, 'application/x-www-form-urlencoded': fields, 'multipart/form-data': fields },
      examples: { text: { summary: 'A text message', value: example } },
    },
    responses: {
      200: {
        description: 'Sent',
        schema,
        examples: {
          sent: { summary: 'Sent', value: { status: 'success', message: 'Text message sent successfully', data: { ...data, delivery_status: 'sent' } } },
          group: {
            summary:
              'Sent to a group (`{"group": "120363012345678901@g.us", "message": "Thanks @6281234567890!", "mentions": ["6281234567890"], "reply_to": "3EB0C767D26A1B2F3C4D"}`)',
            value: { status: 'success', message: 'Text message sent successfully', data: { ...groupData, delivery_status: 'sent' } },
          },
        },
      },
      202: {
        description: 'Queued in the outbox; sent when WhatsApp is reachable again',
        schema,
        examples: {
          queued: {
            summary: 'Queued',
            value: { status: 'success', message: 'Text message queued for delivery', data: { ...data, delivery_status: 'queued' } },
          },
        },
      },
    },
    errors: [
      ...SEND_ERRORS,
      'MESSAGE_REQUIRED',
      'INVALID_MESSAGE',
      'MESSAGE_TOO_LONG',
      'MALFORMED_JSON',
      'MALFORMED_MULTIPART',
      'UNEXPECTED_FILE_FIELD',
      'TOO_MANY_FIELDS',
      'UNSUPPORTED_CONTENT_TYPE',
      'BODY_TOO_LARGE',
    ],
  };
}

/** v2.0.0's example of each kind. */
const MEDIA_EXAMPLES: Record<MediaKind, { filename: string; caption?: string; file_size_kb: number }> = {
  image: { filename: 'sunset.jpg', caption: 'Beautiful sunset photo!', file_size_kb: 245.67 },
  document: { filename: 'report.pdf', caption: 'Important document', file_size_kb: 1024.5 },
  audio: { filename: 'voice_message.mp3', file_size_kb: 512.25 },
  video: { filename: 'demo.mp4', caption: 'Amazing video!', file_size_kb: 2048.75 },
  sticker: { filename: 'funny_sticker.webp', file_size_kb: 23.45 },
};

/**
 * The JSON example of each kind: a tiny file inline as a base64 data URL, so that the documented
 * example sends as it stands (a `url` example would need the network).
 */
const BASE64_EXAMPLES: Record<MediaKind, { filename: string; dataUrl: string }> = {
  image: {
    filename: 'dot.png',
    dataUrl: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAADElEQVQImWP438EAAAQRAYgkvRUdAAAAAElFTkSuQmCC',
  },
  document: { filename: 'note.txt', dataUrl: 'data:text/plain;base64,SGVsbG8gZnJvbSBXaGF0c0FwcCBHYXRld2F5IEFQSSEK' },
  audio: { filename: 'silence.wav', dataUrl: 'data:audio/wav;base64,UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  video: { filename: 'clip.mp4', dataUrl: 'data:video/mp4;base64,AAAAGGZ0eXBpc29tAAACAGlzb21pc28y' },
  sticker: { filename: 'dot.webp', dataUrl: 'data:image/webp;base64,UklGRhwAAABXRUJQVlA4TBAAAAAvAAAAAAdQxP5H/wMR0f8A' },
};

/** The JSON body: the media by `url` or `base64` instead of a multipart `file`. */
function mediaSourceBody(policy: UploadPolicy, fields: UploadFields) {
  const rules = `${policy.extensions.join(', ')}, at most ${formatSize(policy.maxBytes)}`;
  return fields.extend({
    url: z
      .string()
      .optional()
      .meta({
        description: `An http(s) URL the gateway fetches the file from (${rules}); not together with \`base64\`. Loopback, private, link-local and metadata addresses are refused unless MEDIA_URL_ALLOW_PRIVATE=true.`,
        examples: ['https://example.com/photos/sunset.jpg'],
      }),
    base64: z
      .string()
      .optional()
      .meta({ description: `The file's bytes in base64, or a data URL (${rules}); not together with \`url\`` }),
    filename: z.string().optional().meta({
      description: 'The file name, whose extension must be accepted: required with `base64`; with `url`, taken from the URL or its Content-Type when absent',
    }),
  });
}

export function sendMediaDoc(policy: UploadPolicy, fields: UploadFields): RouteDoc {
  const file = z.string().meta({
    format: 'binary',
    contentMediaType: 'application/octet-stream',
    description: `The file: ${policy.extensions.join(', ')} (case-insensitive), at most ${formatSize(policy.maxBytes)}`,
  });
  const multipart = fields.extend({ file });
  const sample = MEDIA_EXAMPLES[policy.kind];
  const caption = policy.acceptsCaption ? { caption: sample.caption ?? null } : {};
  const request: Record<string, unknown> = { phone: '6281234567890', ...(policy.acceptsCaption ? { caption: sample.caption } : {}), file: sample.filename };
  const data = {
    phone: '6281234567890',
    filename: sample.filename,
    ...caption,
    type: policy.kind,
    file_size_kb: sample.file_size_kb,
    timestamp: '2025-09-23 13:45:30',
    ...exampleIds,
  };
  const schema = sentBody(policy.successMessage, {
    filename: z.string().meta({ description: "The client's original file name" }),
    ...(policy.acceptsCaption ? { caption: z.string().nullable() } : {}),
    type: z.literal(policy.kind),
    file_size_kb: z.number().meta({ description: 'Upload size in KB, two decimals' }),
  });
  const queuedMessage = policy.successMessage.replace('sent successfully', 'queued for delivery');
  return {
    tag: 'Sending',
    details: `${SEND_DETAILS} The file comes as a multipart \`file\`, or in a JSON body by \`url\` or \`base64\` (with \`filename\`); the same rules apply to both.`,
    headers: idempotencyHeader(),
    body: {
      content: { 'multipart/form-data': multipart, 'application/json': mediaSourceBody(policy, fields) },
      examples: { [policy.kind]: { summary: `v2.0.0's ${policy.kind} example`, value: request } },
      examplesByType: {
        'application/json': {
          base64: {
            summary: 'The file inline as a data URL (or `"url": "https://…"` to have the gateway fetch it)',
            value: { phone: '6281234567890', base64: BASE64_EXAMPLES[policy.kind].dataUrl, filename: BASE64_EXAMPLES[policy.kind].filename },
          },
        },
      },
    },
    responses: {
      200: {
        description: 'Sent',
        schema,
        examples: {
          sent: { summary: 'Sent', value: { status: 'success', message: policy.successMessage, data: { ...data, delivery_status: 'sent' } } } as Example,
        },
      },
      202: {
        description: 'Queued in the outbox; sent when WhatsApp is reachable again',
        schema,
        examples: { queued: { summary: 'Queued', value: { status: 'success', message: queuedMessage, data: { ...data, delivery_status: 'queued' } } } },
      },
    },
    errors: [
      ...SEND_ERRORS,
      'FILE_REQUIRED',
      'INVALID_FILE_TYPE',
      'FILE_CONTENT_MISMATCH',
      'UNEXPECTED_FILE_FIELD',
      'TOO_MANY_FILES',
      'MALFORMED_MULTIPART',
      'TOO_MANY_FIELDS',
      'FILE_TOO_LARGE',
      'MEDIA_UNDECODABLE',
      'MEDIA_DIMENSIONS_TOO_LARGE',
      'MEDIA_TOO_LARGE',
      'MEDIA_BUSY',
      'CONVERSION_UNAVAILABLE',
      'CONVERSION_FAILED',
      'MEDIA_TIMEOUT',
      'MEDIA_FETCH_FAILED',
      'MEDIA_SOURCE_CONFLICT',
      'FILENAME_REQUIRED',
      'INVALID_BASE64',
      'MALFORMED_JSON',
      'BODY_TOO_LARGE',
    ],
  };
}
