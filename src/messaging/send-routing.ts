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
  /**
   * How the wait ended: `settled` (the job's result was announced), `resync` (announcements may
   * have been lost: look at the record, and wait again if it has not settled), `bound` (time is up,
   * or cancelled).
   */
  done: Promise<'settled' | 'resync' | 'bound'>;
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
  const pending = await enqueueAwaitingResult(routing, ids.id, steps.enqueue);
  return answerWhenSettled(routing, pending, ids, steps.record);
}

/**
 * Starts waiting for the job's result, then enqueues it: registered first, so a result announced
 * right after the commit is not missed. An enqueue that fails ends the wait.
 */
export async function enqueueAwaitingResult(
  routing: SendRouting,
  recordId: string,
  enqueue: () => Promise<void>,
): Promise<{ wait: SettledWait; deadline: number }> {
  const deadline = Date.now() + routing.waitMs;
  const wait = routing.settled(recordId, routing.waitMs);
  try {
    await enqueue();
  } catch (error) {
    wait.cancel();
    throw error;
  }
  return { wait, deadline };
}

/**
 * The answer to a send whose job is enqueued and whose `wait` (settled, called before the enqueue)
 * runs until `deadline` (epoch ms): what the driving node's send earned once the job settled, else
 * 202 queued at the bound.
 */
export async function answerWhenSettled(
  routing: SendRouting,
  pending: { wait: SettledWait; deadline: number },
  ids: { id: string; messageId: string },
  record: () => Promise<MessageRecord | null>,
): Promise<SendOutcome> {
  let wait = pending.wait;
  for (;;) {
    const ended = await wait.done;
    const left = pending.deadline - Date.now();
    if (ended === 'resync' && left > 0) {
      // The result may have been announced while nobody listened: the record says. If it has not
      // settled, wait again for the rest of the bound, registered before the read (as at the start).
      wait = routing.settled(ids.id, left);
      const current = await record();
      if (!isSettled(current)) continue;
      wait.cancel();
      return answerFrom(current, ids);
    }
    // Read whatever ended the wait: the result, or the bound (a missed notification shows here too).
    return answerFrom(await record(), ids);
  }
}

function isSettled(record: MessageRecord | null): boolean {
  return record !== null && (REACHED.has(record.status) || record.status === 'failed');
}

function answerFrom(record: MessageRecord | null, ids: { id: string; messageId: string }): SendOutcome {
  if (record && REACHED.has(record.status)) return { ...ids, status: record.status as SendOutcome['status'] };
  if (record?.status === 'failed') throw recordedFailure(record.error);
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
