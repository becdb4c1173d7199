/**
 * POST /api/messages/:id/edit and DELETE /api/messages/:id. Thin: validate, hand to the
 * ChangeService, shape the answer as the sends do (200, or 202 when queued), with the same
 * Idempotency-Key handling.
 */
import type { Request, Response } from 'express';
import type { IdempotencyRepository, StoredResponse } from '../http/idempotency-repository.js';
import { performOnce, writeOnceResult } from '../http/idempotency.js';
import { parseRequest } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { requireConnection } from '../http/send-routes.js';
import { textBodyParsers } from '../http/text-body.js';
import type { DeliveryService } from '../messaging/delivery-service.js';
import { localTimestamp } from '../messaging/local-time.js';
import { DELETED, DELETE_QUEUED, deleteDoc, editDoc, EDITED, editFields, EDIT_QUEUED } from './change-schemas.js';
import type { ChangeOutcome, ChangeService } from './change-service.js';

export interface ChangeRouteDeps {
  changes: ChangeService;
  delivery: DeliveryService;
  idempotency: IdempotencyRepository;
  sandbox: boolean;
}

function changeResponse(done: string, queued: string, { target, change }: ChangeOutcome, extra: Record<string, unknown>, sandbox: boolean): StoredResponse {
  const isQueued = change.status === 'queued';
  return {
    statusCode: isQueued ? 202 : 200,
    body: {
      status: 'success',
      message: isQueued ? queued : done,
      data: {
        id: target.id,
        message_id: target.waMessageId,
        phone: target.phone,
        type: target.type,
        ...extra,
        change_id: change.id,
        change_message_id: change.messageId,
        delivery_status: change.status,
        timestamp: localTimestamp(),
        ...(sandbox ? { sandbox: true } : {}),
      },
    },
  };
}

export function changeRoutes(deps: ChangeRouteDeps): RouteSpec[] {
  const { changes, idempotency, sandbox } = deps;
  const edit = async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    const { message } = parseRequest(editFields, req.body ?? {});
    const result = await performOnce(req, idempotency, { fields: { id, message } }, async (once) => {
      const outcome = await changes.edit(id, message, { resumeRecordId: once.resumeRecordId, onRecord: once.bindRecord });
      return changeResponse(EDITED, EDIT_QUEUED, outcome, { message }, sandbox);
    });
    writeOnceResult(res, result);
  };
  const remove = async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    const result = await performOnce(req, idempotency, { fields: { id } }, async (once) => {
      const outcome = await changes.remove(id, { resumeRecordId: once.resumeRecordId, onRecord: once.bindRecord });
      return changeResponse(DELETED, DELETE_QUEUED, outcome, {}, sandbox);
    });
    writeOnceResult(res, result);
  };
  return [
    {
      method: 'POST',
      path: '/api/messages/:id/edit',
      description: 'Edit the text or caption of a message we sent',
      guarded: true,
      doc: editDoc,
      handlers: [requireConnection(deps.delivery), ...textBodyParsers(), edit],
    },
    {
      method: 'DELETE',
      path: '/api/messages/:id',
      description: 'Delete a message we sent, for everyone',
      guarded: true,
      doc: deleteDoc,
      handlers: [requireConnection(deps.delivery), remove],
    },
  ];
}
