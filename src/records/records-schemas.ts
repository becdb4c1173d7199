/**
 * What the record routes accept and answer: query schemas (the handlers validate with them; a bad
 * value is a 400 INVALID_PARAMETER naming it) and the bodies, for the OpenAPI document.
 */
import { MEDIA_KINDS, MESSAGE_STATUSES } from '../domain/vocabulary.js';
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { isoTimestamp, named } from '../openapi/components.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { MAX_PAGE_SIZE } from './message-repository.js';
import { DELIVERY_STATUSES } from '../webhooks/webhook-delivery-repository.js';
import { phoneField } from '../http/phone-field.js';
import { carry, failsWith } from '../http/request-validation.js';

const invalid = (name: string, expected: string) => failsWith(() => Errors.invalidParameter(name, expected));

function oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  return z.enum(values, { error: invalid(name, values.join(', ')) }).optional();
}

/** An ISO-8601 date or Unix seconds. */
function dateParam(name: string, description: string, example: string) {
  const expected = 'an ISO-8601 date or Unix seconds';
  return z
    .string({ error: invalid(name, expected) })
    .meta({ description: `${description}: ${expected}`, examples: [example] })
    .transform((value, ctx) => {
      const date = new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value);
      if (!Number.isNaN(date.getTime())) return date;
      ctx.issues.push({ code: 'custom', message: carry(Errors.invalidParameter(name, expected)), input: value });
      return z.NEVER;
    })
    .optional();
}

const limitParam = z.coerce
  .number({ error: invalid('limit', `a whole number from 1 to ${MAX_PAGE_SIZE}`) })
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .optional()
  .meta({ description: 'Page size (50 unless given)' });

const textParam = (name: string, description: string) =>
  z.string({ error: invalid(name, 'a single value') }).min(1).optional().meta({ description });

const cursorParam = textParam('cursor', '`next_cursor` of the previous page');

export function listMessagesQuery(defaultCountryCode: string) {
  return z.object({
    status: oneOf('status', MESSAGE_STATUSES),
    type: oneOf('type', ['text', ...MEDIA_KINDS]),
    phone: phoneField(defaultCountryCode, 'Only messages to this number').optional(),
    from: dateParam('from', 'Created at or after', '2025-09-01T00:00:00Z'),
    to: dateParam('to', 'Created before', '2099-01-01T00:00:00Z'),
    limit: limitParam,
    cursor: cursorParam,
  });
}

export const analyticsQuery = z
  .object({ from: dateParam('from', 'Created at or after', '2025-09-01T00:00:00Z'), to: dateParam('to', 'Created before', '2099-01-01T00:00:00Z') })
  .refine(({ from, to }) => !(from && to && from > to), { error: invalid('from', 'a date before "to"') });

export const deliveriesQuery = z.object({
  status: oneOf('status', DELIVERY_STATUSES),
  event: textParam('event', 'Event type, e.g. message.status'),
  url: textParam('url', 'Webhook URL'),
  limit: limitParam,
  cursor: cursorParam,
});

const nullableTime = isoTimestamp.nullable();

const messageRecord = named(
  'MessageRecord',
  z.object({
    id: z.string().meta({ description: 'Our record id' }),
    message_id: z.string().nullable().meta({ description: "WhatsApp's message id" }),
    phone: z.string(),
    jid: z.string(),
    type: z.enum(['text', ...MEDIA_KINDS]),
    summary: z.string().nullable().meta({ description: 'The text or caption, shortened' }),
    filename: z.string().nullable(),
    status: z.enum(MESSAGE_STATUSES),
    error: z.string().nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
    status_timestamps: z.object({ queued: nullableTime, sent: nullableTime, delivered: nullableTime, read: nullableTime, failed: nullableTime }),
  }),
);

const exampleRecord = {
  id: '3d271fd4-5b8e-4b7a-9c1e-2f0a6d8e4c11',
  message_id: '3EB0B057F6CD72C5DB18EC',
  phone: '6281234567890',
  jid: '6281234567890@s.whatsapp.net',
  type: 'text',
  summary: 'Hello from WhatsApp Gateway API!',
  filename: null,
  status: 'delivered',
  error: null,
  created_at: '2025-09-23T13:45:30.123Z',
  updated_at: '2025-09-23T13:45:31.456Z',
  status_timestamps: { queued: null, sent: '2025-09-23T13:45:30.123Z', delivered: '2025-09-23T13:45:31.456Z', read: null, failed: null },
};

const page = (item: z.ZodType) =>
  z.object({ status: z.literal('success'), data: z.array(item), total: z.int(), next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last' }) });

const countsByStatus = z.object(Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, z.int()])) as Record<(typeof MESSAGE_STATUSES)[number], z.ZodInt>);

const webhookDelivery = named(
  'WebhookDelivery',
  z.object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    url: z.string(),
    payload: z.string().meta({ description: 'The JSON body as sent' }),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int(),
    nextAttemptAt: z.number().nullable().meta({ description: 'Epoch ms; null once delivered or failed' }),
    lastError: z.string().nullable(),
    lastStatusCode: z.int().nullable(),
    createdAt: z.number().meta({ description: 'Epoch ms' }),
    updatedAt: z.number(),
    deliveredAt: z.number().nullable(),
  }),
);

const idParam = (name: string, description: string, example: string) => z.object({ [name]: z.string().meta({ description, examples: [example] }) });

export function listMessagesDoc(query: ReturnType<typeof listMessagesQuery>): RouteDoc {
  return {
    tag: 'Records',
    details: 'Newest first, with keyset pagination: pass `next_cursor` as `cursor` for the next page.',
    query,
    responses: {
      200: { description: 'A page of records', schema: page(messageRecord), examples: { page: { summary: 'One record', value: { status: 'success', data: [exampleRecord], total: 1, next_cursor: null } } } },
    },
    errors: ['INVALID_PARAMETER', 'PHONE_REQUIRED', 'INVALID_PHONE'],
  };
}

export const getMessageDoc: RouteDoc = {
  tag: 'Records',
  params: idParam('id', "Our record id, or WhatsApp's message id", '3EB0B057F6CD72C5DB18EC'),
  responses: { 200: { description: 'The record', schema: z.object({ status: z.literal('success'), data: messageRecord }), examples: { record: { summary: 'A delivered text', value: { status: 'success', data: exampleRecord } } } } },
  errors: ['NOT_FOUND'],
};

export const analyticsDoc: RouteDoc = {
  tag: 'Records',
  query: analyticsQuery,
  responses: {
    200: {
      description: 'Counts over the range',
      schema: z.object({
        status: z.literal('success'),
        data: z.object({
          from: nullableTime,
          to: nullableTime,
          total: z.int(),
          by_type: z.record(z.string(), z.int()),
          by_status: countsByStatus,
          by_type_and_status: z.record(z.string(), countsByStatus),
        }),
      }),
    },
  },
  errors: ['INVALID_PARAMETER'],
};

export const downloadMediaDoc: RouteDoc = {
  tag: 'Records',
  details: 'Streams the decrypted media of a message someone sent to the gateway, with its own Content-Type.',
  params: idParam('messageId', "WhatsApp's id of the incoming message", '3A5F1C2B9D8E7F6A5B4C'),
  responses: { 200: { description: 'The media file', mediaType: '*/*' } },
  errors: ['NOT_FOUND', 'MEDIA_DOWNLOAD_FAILED'],
};

export const listDeliveriesDoc: RouteDoc = {
  tag: 'Webhooks',
  query: deliveriesQuery,
  responses: { 200: { description: 'A page of webhook deliveries, newest first', schema: page(webhookDelivery) } },
  errors: ['INVALID_PARAMETER'],
};

export const replayDeliveryDoc: RouteDoc = {
  tag: 'Webhooks',
  params: idParam('id', 'Webhook delivery id', '9b1d2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e'),
  body: null,
  responses: {
    202: { description: 'Queued again', schema: z.object({ status: z.literal('success'), message: z.literal('Webhook delivery queued again'), data: webhookDelivery }) },
  },
  errors: ['NOT_FOUND'],
};
