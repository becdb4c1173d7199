/**
 * What the webhook delivery routes accept and answer, for validation and the OpenAPI document.
 */
import { z } from 'zod';
import { cursorParam, idParam, limitParam, oneOf, page, textParam } from '../http/query-params.js';
import { named } from '../openapi/components.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { DELIVERY_STATUSES } from './webhook-delivery-repository.js';

export const deliveriesQuery = z.object({
  status: oneOf('status', DELIVERY_STATUSES),
  event: textParam('event', 'Event type, e.g. message.status'),
  url: textParam('url', 'Webhook URL'),
  limit: limitParam,
  cursor: cursorParam,
});

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

export const listDeliveriesDoc = (): RouteDoc => ({
  tag: 'Webhooks',
  query: deliveriesQuery,
  responses: { 200: { description: 'A page of webhook deliveries, newest first', schema: page(webhookDelivery) } },
  errors: ['INVALID_PARAMETER'],
});

export const replayDeliveryDoc = (): RouteDoc => ({
  tag: 'Webhooks',
  params: idParam('id', 'Webhook delivery id', '9b1d2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e'),
  body: null,
  responses: {
    202: {
      description: 'Queued again',
      schema: z.object({ status: z.literal('success'), message: z.literal('Webhook delivery queued again'), data: webhookDelivery }),
    },
  },
  errors: ['NOT_FOUND'],
});
