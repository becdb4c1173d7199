/**
 * What the record routes accept and answer: query schemas (the handlers validate with them; a bad
 * value is a 400 INVALID_PARAMETER naming it) and the bodies, for the OpenAPI document.
 */
import { INCOMING_KINDS, MESSAGE_STATUSES, MESSAGE_TYPES } from '../domain/vocabulary.js';
import { z } from 'zod';
import { isoTimestamp, named } from '../openapi/components.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { exampleReceived, receivedMessageSchema } from './received-view.js';
import { phoneField } from '../http/phone-field.js';
import { cursorParam, dateParam, idParam, invalid, limitParam, oneOf, page } from '../http/query-params.js';

/** `type` filters of both directions: what the gateway sends, and what it receives. */
const LISTED_TYPES = [...new Set([...MESSAGE_TYPES, ...INCOMING_KINDS])] as [string, ...string[]];

export function listMessagesQuery(defaultCountryCode: string) {
  return z
    .object({
      direction: oneOf('direction', ['out', 'in']).meta({
        description: '`out` (default): messages the gateway sent, as records with a delivery status. `in`: messages received (INCOMING_RETENTION days)',
        examples: ['in'],
      }),
      status: oneOf('status', MESSAGE_STATUSES),
      type: oneOf('type', LISTED_TYPES),
      phone: phoneField(defaultCountryCode, 'Only messages to this number (direction=in: from this number, or in the chat with it)').optional(),
      from: dateParam('from', 'Created (received) at or after', '2025-09-01T00:00:00Z'),
      to: dateParam('to', 'Created (received) before', '2099-01-01T00:00:00Z'),
      limit: limitParam,
      cursor: cursorParam,
    })
    .refine(({ direction, status }) => !(direction === 'in' && status), {
      error: invalid('status', 'no status with direction=in (received messages have none)'),
    });
}

export const analyticsQuery = z
  .object({ from: dateParam('from', 'Created at or after', '2025-09-01T00:00:00Z'), to: dateParam('to', 'Created before', '2099-01-01T00:00:00Z') })
  .refine(({ from, to }) => !(from && to && from > to), { error: invalid('from', 'a date before "to"') });

const nullableTime = isoTimestamp.nullable();

const pollTally = z.object({
  question: z.string(),
  options: z.array(z.object({ name: z.string(), votes: z.int() })),
  voters: z
    .array(z.object({ phone: z.string().nullable(), lid: z.string().nullable(), options: z.array(z.string()), voted_at: isoTimestamp }))
    .meta({ description: 'Who voted for what (voters who took their vote back are left out)' }),
});

const messageRecord = named(
  'MessageRecord',
  z.object({
    id: z.string().meta({ description: 'Our record id' }),
    message_id: z.string().nullable().meta({ description: "WhatsApp's message id" }),
    phone: z.string().meta({ description: 'The recipient: phone digits, or the JID of a group or of a contact known only by LID' }),
    jid: z.string(),
    group: z.string().nullable().meta({ description: 'The group JID when the message went to a group, else null' }),
    type: z.enum(MESSAGE_TYPES),
    summary: z.string().nullable().meta({ description: 'The text or caption, shortened' }),
    filename: z.string().nullable(),
    status: z.enum(MESSAGE_STATUSES),
    error: z.string().nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
    status_timestamps: z.object({ queued: nullableTime, sent: nullableTime, delivered: nullableTime, read: nullableTime, failed: nullableTime }),
    poll: pollTally.optional().meta({ description: "GET /api/messages/{id} of a poll: its votes so far (each voter's latest vote counts)" }),
  }),
);

/** GET /api/messages/:id adds what was changed after sending (src/changes/). */
const messageRecordDetail = named(
  'MessageRecordDetail',
  messageRecord.extend({
    edited_at: nullableTime.meta({ description: 'When WhatsApp acknowledged the latest edit; null if never edited' }),
    edits: z.array(z.object({ text: z.string(), at: isoTimestamp })).meta({
      description: 'Every edit WhatsApp acknowledged, oldest first: the last is the text recipients see now (`summary` stays the text as first sent)',
    }),
    deleted: z.boolean().meta({ description: 'Deleted for everyone (WhatsApp acknowledged the delete)' }),
    deleted_at: nullableTime.meta({ description: 'When WhatsApp acknowledged the delete' }),
  }),
);

const exampleRecord = {
  id: '3d271fd4-5b8e-4b7a-9c1e-2f0a6d8e4c11',
  message_id: '3EB0B057F6CD72C5DB18EC',
  phone: '6281234567890',
  jid: '6281234567890@s.whatsapp.net',
  group: null,
  type: 'text',
  summary: 'Hello from WhatsApp Gateway API!',
  filename: null,
  status: 'delivered',
  error: null,
  created_at: '2025-09-23T13:45:30.123Z',
  updated_at: '2025-09-23T13:45:31.456Z',
  status_timestamps: { queued: null, sent: '2025-09-23T13:45:30.123Z', delivered: '2025-09-23T13:45:31.456Z', read: null, failed: null },
};

const countsByStatus = z.object(Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, z.int()])) as Record<(typeof MESSAGE_STATUSES)[number], z.ZodInt>);

export function listMessagesDoc(query: ReturnType<typeof listMessagesQuery>): RouteDoc {
  return {
    tag: 'Records',
    details:
      'Newest first, with keyset pagination: pass `next_cursor` as `cursor` for the next page. With `direction=in`, the messages contacts sent ' +
      '(every kind, the fields of the `message.incoming` webhook, and whether the sender edited or deleted it) instead of the records of sent messages.',
    query,
    responses: {
      200: {
        description: 'A page of records (direction=out) or of received messages (direction=in)',
        schema: page(z.union([messageRecord, receivedMessageSchema])),
        examples: {
          page: { summary: 'One record', value: { status: 'success', data: [exampleRecord], total: 1, next_cursor: null } },
          received: { summary: 'direction=in: a reply in a group', value: { status: 'success', data: [exampleReceived], total: 1, next_cursor: null } },
        },
      },
    },
    errors: ['INVALID_PARAMETER', 'PHONE_REQUIRED', 'INVALID_PHONE'],
  };
}

const unchanged = { edited_at: null, edits: [], deleted: false, deleted_at: null };

export const getMessageDoc = (): RouteDoc => ({
  tag: 'Records',
  params: idParam('id', "Our record id, or WhatsApp's message id", '3EB0B057F6CD72C5DB18EC'),
  responses: {
    200: {
      description: 'The record',
      schema: z.object({ status: z.literal('success'), data: messageRecordDetail }),
      examples: {
        record: { summary: 'A delivered text', value: { status: 'success', data: { ...exampleRecord, ...unchanged } } },
        edited: {
          summary: 'A text edited once',
          value: {
            status: 'success',
            data: {
              ...exampleRecord,
              ...unchanged,
              edited_at: '2025-09-23T13:50:02.000Z',
              edits: [{ text: 'Corrected: the meeting is at 10:00', at: '2025-09-23T13:50:02.000Z' }],
            },
          },
        },
      },
    },
  },
  errors: ['NOT_FOUND'],
});

export const analyticsDoc = (): RouteDoc => ({
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
});

export const downloadMediaDoc = (): RouteDoc => ({
  tag: 'Records',
  details:
    'Streams the decrypted media of a message someone sent to the gateway, with its own Content-Type. ' +
    'Once its sender deleted it for everyone the media is gone: 404 NOT_FOUND, as for an unknown id.',
  params: idParam('messageId', "WhatsApp's id of the incoming message", '3A5F1C2B9D8E7F6A5B4C'),
  responses: { 200: { description: 'The media file', mediaType: '*/*' } },
  errors: ['NOT_FOUND', 'MEDIA_DOWNLOAD_FAILED'],
});
