/**
 * What POST /api/messages/:id/edit and DELETE /api/messages/:id accept and answer: the edit's body
 * is validated like send-message's `message` (same errors), and both answer like a send (200 once
 * WhatsApp's server acknowledged the change, 202 when the outbox queued it).
 */
import { z } from 'zod';
import type { ErrorCode } from '../openapi/error-codes.js';
import { builtOnFirstUse, type RouteDoc } from '../openapi/route-doc.js';
import { idParam } from '../http/query-params.js';
import { idempotencyKeyHeader, messageField, OUTGOING_ERRORS } from '../http/send-schemas.js';

export const EDITED = 'Message edited successfully';
export const EDIT_QUEUED = 'Message edit queued for delivery';
export const DELETED = 'Message deleted successfully';
export const DELETE_QUEUED = 'Message deletion queued for delivery';

export const editFields = z.object({
  message: messageField.meta({ description: 'The new text (or caption)', examples: ['Corrected: the meeting is at 10:00'] }),
});

export const messageIdParam = idParam('id', "Our record id of a message we sent, or WhatsApp's message id", '3EB0B057F6CD72C5DB18EC');

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

// The answers' schemas exist for the OpenAPI document only: built with it (route-doc.ts).
const changeData = () => ({
  id: z.string().meta({ description: 'Our record id of the message changed' }),
  message_id: z.string().meta({ description: "WhatsApp's id of the message changed" }),
  phone: z.string().meta({ description: 'The chat the message was sent to, as its record names it' }),
  type: z.string().meta({ description: 'The kind of the message changed (text, image, ...)' }),
  change_id: z.string().meta({ description: "The change's own record (GET /api/messages/{id}; listed with ?type=edit or ?type=delete)" }),
  change_message_id: z.string().meta({ description: "WhatsApp's id of the protocol message carrying the change" }),
  delivery_status: z
    .enum(['sent', 'delivered', 'read', 'queued'])
    .meta({ description: "`sent`: WhatsApp's server acknowledged the change; `queued`: the outbox holds it (202)" }),
  timestamp: z.string().regex(LOCAL_TIME).meta({ description: 'Local server time, YYYY-MM-DD HH:mm:ss' }),
  sandbox: z.literal(true).optional().meta({ description: 'Present on a sandbox gateway: nothing reached real WhatsApp' }),
});

const editedBody = builtOnFirstUse(() =>
  z.object({
    status: z.literal('success'),
    message: z.enum([EDITED, EDIT_QUEUED]),
    data: z.object({ ...changeData(), message: z.string().meta({ description: 'The new text' }) }),
  }),
);

const deletedBody = builtOnFirstUse(() =>
  z.object({
    status: z.literal('success'),
    message: z.enum([DELETED, DELETE_QUEUED]),
    data: z.object(changeData()),
  }),
);

const example = {
  id: '3d271fd4-5b8e-4b7a-9c1e-2f0a6d8e4c11',
  message_id: '3EB0B057F6CD72C5DB18EC',
  phone: '6281234567890',
  type: 'text',
  change_id: '9a0c3f52-1d7e-4c0b-8e55-6b2f1d0c9e77',
  change_message_id: '3EB0C1D2E3F4A5B6C7D8E9',
  delivery_status: 'sent',
  timestamp: '2025-09-23 13:50:02',
};

const idempotencyHeader = builtOnFirstUse(() =>
  idempotencyKeyHeader('As on the sends: the same key with the same request within 24 h answers again without sending'),
);

const CHANGE_ERRORS: readonly ErrorCode[] = ['NOT_FOUND', 'MESSAGE_NOT_OURS', 'MESSAGE_NOT_SENT', 'MESSAGE_FAILED', ...OUTGOING_ERRORS];

const CHANGE_DETAILS =
  'Only messages this gateway sent (an incoming message: 400 MESSAGE_NOT_OURS), once WhatsApp acknowledged them ' +
  '(queued: MESSAGE_NOT_SENT; failed: MESSAGE_FAILED). The change goes out as its own WhatsApp protocol message with ' +
  "its own record and id, like a send: 200 once WhatsApp's server acknowledged it (a refusal answers 500 SEND_FAILED), " +
  '202 when the outbox queued it (it goes out after everything accepted before it). GET /api/messages/{id} of the ' +
  'changed message shows the change once WhatsApp acknowledged it. No webhook event of its own: the change record ' +
  'gets `message.status` events like any send.';

export const editDoc = (): RouteDoc => ({
  tag: 'Changing what was sent',
  details:
    `${CHANGE_DETAILS} Editable: text messages, and the caption of an image, video or document ` +
    '(other kinds: MESSAGE_NOT_EDITABLE), within 15 minutes of sending, as WhatsApp allows (EDIT_WINDOW_EXPIRED); a ' +
    'deleted message cannot be edited (MESSAGE_DELETED). The text is checked as send-message checks `message`.',
  params: messageIdParam,
  headers: idempotencyHeader(),
  body: {
    content: { 'application/json': editFields },
    examples: { edit: { summary: 'A corrected text', value: { message: 'Corrected: the meeting is at 10:00' } } },
  },
  responses: {
    200: {
      description: 'Edited',
      schema: editedBody(),
      examples: {
        edited: { summary: 'Edited', value: { status: 'success', message: EDITED, data: { ...example, message: 'Corrected: the meeting is at 10:00' } } },
      },
    },
    202: {
      description: 'Queued in the outbox; sent when WhatsApp is reachable again',
      schema: editedBody(),
      examples: {
        queued: {
          summary: 'Queued',
          value: { status: 'success', message: EDIT_QUEUED, data: { ...example, message: 'Corrected: the meeting is at 10:00', delivery_status: 'queued' } },
        },
      },
    },
  },
  errors: [
    ...CHANGE_ERRORS,
    'MESSAGE_NOT_EDITABLE',
    'MESSAGE_DELETED',
    'EDIT_WINDOW_EXPIRED',
    'MESSAGE_REQUIRED',
    'INVALID_MESSAGE',
    'MESSAGE_TOO_LONG',
    'MALFORMED_JSON',
    'UNSUPPORTED_CONTENT_TYPE',
  ],
});

export const deleteDoc = (): RouteDoc => ({
  tag: 'Changing what was sent',
  details:
    `${CHANGE_DETAILS} Any kind of message can be deleted for everyone within 2 days of sending (DELETE_WINDOW_EXPIRED). ` +
    'Deleting a message already deleted (or whose delete is queued) is idempotent: it answers with that delete and sends nothing.',
  params: messageIdParam,
  headers: idempotencyHeader(),
  responses: {
    200: {
      description: 'Deleted for everyone',
      schema: deletedBody(),
      examples: { deleted: { summary: 'Deleted', value: { status: 'success', message: DELETED, data: example } } },
    },
    202: {
      description: 'Queued in the outbox; sent when WhatsApp is reachable again',
      schema: deletedBody(),
      examples: { queued: { summary: 'Queued', value: { status: 'success', message: DELETE_QUEUED, data: { ...example, delivery_status: 'queued' } } } },
    },
  },
  errors: [...CHANGE_ERRORS, 'MESSAGE_NOT_DELETABLE', 'DELETE_WINDOW_EXPIRED'],
});
