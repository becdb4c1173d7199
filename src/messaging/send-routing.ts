/**
 * Cluster mode: a send accepted by a node that does not drive the session. It goes into the shared
 * outbox (whose insert rings the owner's doorbell), and the answer waits for the owner's result as
 * a local send waits for WhatsApp's server ack: 200 when the job settled as sent within the bound,
 * 202 queued otherwise. Implemented over LISTEN/NOTIFY in src/cluster/outbox-doorbell.ts.
 */
import { Errors, type AppError } from '../errors/app-error.js';
import type { MessageRecord } from '../records/message-repository.js';
import { serverErrorCodeIn } from '../whatsapp/send-outcome.js';
import type { SendOutcome } from './delivery-service.js';

export interface SendRouting {
  /** This node does not hold the session's lease: its socket is not the session's. */
  drivenElsewhere(): boolean;
  /** How long the answer waits for the owner: the bound a local send waits for its server ack. */
  readonly waitMs: number;
  /**
   * Resolves when the job of message `recordId` settled on any node, or after `withinMs`. Call it
   * before enqueuing (a result announced in between would be missed), and `cancel` if the enqueue fails.
   */
  settled(recordId: string, withinMs: number): SettledWait;
}

export interface SettledWait {
  done: Promise<void>;
  cancel(): void;
}

const REACHED = new Set(['sent', 'delivered', 'read']);

/**
 * Enqueues (record and job in one transaction, the owner's doorbell rung on commit) and answers
 * with what the owner's send earned within the bound: its status once WhatsApp acked it, the
 * send's error when WhatsApp refused it (with the error ack's code, as the owner would have
 * answered), else 202 queued (the owner sends it later, once).
 */
export async function routedSend(
  routing: SendRouting,
  ids: { id: string; messageId: string },
  steps: { enqueue(): Promise<void>; record(): Promise<MessageRecord | null> },
): Promise<SendOutcome> {
  const wait = routing.settled(ids.id, routing.waitMs);
  try {
    await steps.enqueue();
  } catch (error) {
    wait.cancel();
    throw error;
  }
  return answerWhenSettled(wait, ids, steps.record);
}

/**
 * The answer to a send whose job is enqueued and whose `wait` (settled, called before the enqueue)
 * runs: what the driving node's send earned once the job settled, else 202 queued at the bound.
 */
export async function answerWhenSettled(
  wait: SettledWait,
  ids: { id: string; messageId: string },
  record: () => Promise<MessageRecord | null>,
): Promise<SendOutcome> {
  await wait.done;
  // Read whatever ended the wait: the result, or the bound (a missed notification shows here too).
  const settled = await record();
  if (settled && REACHED.has(settled.status)) return { ...ids, status: settled.status as SendOutcome['status'] };
  if (settled?.status === 'failed') throw recordedFailure(settled.error);
  return { ...ids, status: 'queued' };
}

/**
 * The API error for a message whose record says it failed, as the send itself answered: an error
 * ack keeps WhatsApp's code (`wa_error_code`), any other failure is a plain SEND_FAILED.
 */
export function recordedFailure(reason: string | null): AppError {
  const text = reason ?? 'unknown error';
  const code = serverErrorCodeIn(text);
  return code === undefined ? Errors.sendFailed(text) : Errors.sendRejected(code, text);
}
