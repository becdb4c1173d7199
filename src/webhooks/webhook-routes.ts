/**
 * GET /api/webhooks/deliveries and POST /api/webhooks/deliveries/:id/replay: the webhook delivery
 * log, and replaying one delivery. Mounted only when webhooks are configured.
 */
import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import { withCursor } from '../http/query-params.js';
import { parseRequest } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import type { WebhookDispatcher } from './dispatcher.js';
import type { WebhookDeliveryRepository } from './webhook-delivery-repository.js';
import { deliveriesQuery, listDeliveriesDoc, replayDeliveryDoc } from './webhook-schemas.js';

const notFound = (what: string) => new AppError(404, 'NOT_FOUND', `${what} not found`);

export function listDeliveries(deliveries: WebhookDeliveryRepository, query: typeof deliveriesQuery) {
  return async (req: Request, res: Response): Promise<void> => {
    const { event, ...q } = parseRequest(query, req.query);
    const page = await withCursor(() => deliveries.list({ ...q, eventType: event }));
    res.json({ status: 'success', data: page.items, total: page.total, next_cursor: page.nextCursor });
  };
}

export function replayDelivery(dispatcher: WebhookDispatcher) {
  return async (req: Request, res: Response): Promise<void> => {
    const delivery = await dispatcher.replay(String(req.params.id));
    if (!delivery) throw notFound('Webhook delivery');
    res.status(202).json({ status: 'success', message: 'Webhook delivery queued again', data: delivery });
  };
}

/** The webhook delivery log and replays; only when webhooks are configured. */
export function webhookDeliveryRoutes(deliveries: WebhookDeliveryRepository, dispatcher: WebhookDispatcher | undefined): RouteSpec[] {
  if (!dispatcher) return [];
  return [
    {
      method: 'GET',
      path: '/api/webhooks/deliveries',
      description: 'Webhook delivery log',
      guarded: true,
      doc: listDeliveriesDoc,
      handlers: [listDeliveries(deliveries, deliveriesQuery)],
    },
    {
      method: 'POST',
      path: '/api/webhooks/deliveries/:id/replay',
      description: 'Queue a webhook delivery again',
      guarded: true,
      doc: replayDeliveryDoc,
      handlers: [replayDelivery(dispatcher)],
    },
  ];
}
