/**
 * The OpenAPI description of a kind's send endpoint, in the same shape as send-message's: the
 * same bodies (JSON, form, multipart fields), the 200/202 answers and the errors every send shares.
 */
import { z } from 'zod';
import { GROUP_ID_EXAMPLE } from '../groups/group-id.js';
import type { ErrorCode } from '../openapi/error-codes.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { exampleIds, idempotencyHeader, SEND_DETAILS, SEND_ERRORS, sentBody } from '../http/send-schemas.js';

const BODY_ERRORS: readonly ErrorCode[] = [
  'MALFORMED_JSON',
  'MALFORMED_MULTIPART',
  'UNEXPECTED_FILE_FIELD',
  'TOO_MANY_FIELDS',
  'UNSUPPORTED_CONTENT_TYPE',
  'BODY_TOO_LARGE',
];

export interface KindDocSpec {
  successMessage: string;
  type: string;
  fields: z.ZodType;
  /** Markdown: what this endpoint adds to the common send behaviour. */
  details: string;
  example: Record<string, unknown>;
  /** The response's `data` fields of this kind (besides phone or group, type, timestamp and the ids). */
  data: z.ZodRawShape;
  exampleData: Record<string, unknown>;
  errors: readonly ErrorCode[];
  /** Bodies with arrays of objects are documented as JSON only (a form cannot carry them). */
  jsonOnly?: boolean;
}

export function kindDoc(spec: KindDocSpec): RouteDoc {
  const schema = sentBody(spec.successMessage, { ...spec.data, type: z.literal(spec.type) });
  const data = { phone: '6281234567890', ...spec.exampleData, type: spec.type, timestamp: '2025-09-23 13:45:30', ...exampleIds };
  const { phone: _phone, ...rest } = data;
  const groupData = { group: GROUP_ID_EXAMPLE, ...rest };
  const queued = spec.successMessage.replace('sent successfully', 'queued for delivery');
  return {
    tag: 'Sending',
    details: `${spec.details} ${SEND_DETAILS}${spec.jsonOnly ? ' The body is JSON.' : ' The body may be JSON, a form, or multipart fields.'}`,
    headers: idempotencyHeader(),
    body: {
      content: spec.jsonOnly
        ? { 'application/json': spec.fields }
        : { 'application/json': spec.fields, 'application/x-www-form-urlencoded': spec.fields, 'multipart/form-data': spec.fields },
      examples: { [spec.type]: { summary: `A ${spec.type}`, value: spec.example } },
    },
    responses: {
      200: {
        description: 'Sent',
        schema,
        examples: {
          sent: { summary: 'Sent', value: { status: 'success', message: spec.successMessage, data: { ...data, delivery_status: 'sent' } } },
          group: {
            summary: `Sent to a group (\`"group": "${GROUP_ID_EXAMPLE}"\` instead of \`phone\`)`,
            value: { status: 'success', message: spec.successMessage, data: { ...groupData, delivery_status: 'sent' } },
          },
        },
      },
      202: {
        description: 'Queued in the outbox; sent when WhatsApp is reachable again',
        schema,
        examples: { queued: { summary: 'Queued', value: { status: 'success', message: queued, data: { ...data, delivery_status: 'queued' } } } },
      },
    },
    errors: [...SEND_ERRORS, ...spec.errors, ...BODY_ERRORS],
  };
}
