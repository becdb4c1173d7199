/**
 * A client that wants each message sent exactly once by a cluster whose nodes may die under it:
 * every intent has its own Idempotency-Key, and a send the addressed node did not answer (refused
 * connection, reset, 503 while shutting down, 504 outcome unknown, 409 still in progress) is sent
 * again through the next node with the SAME key, until some node answers 200 or 202. The key is
 * what lets the cluster tell a retry from a second message.
 */
import { sleep } from './harness.js';

export interface SendIntent {
  /** Its position in the whole run: which node it is first addressed to (round-robin). */
  seq: number;
  session: string;
  phone: string;
  text: string;
  idempotencyKey: string;
}

export interface SendAnswer {
  intent: SendIntent;
  status: number;
  id: string;
  messageId: string;
  deliveryStatus: string;
  replayed: boolean;
  /** Every attempt's outcome, for a failure's message: `node-b 409 IDEMPOTENCY_KEY_IN_PROGRESS`, `node-a ECONNREFUSED`. */
  attempts: string[];
}

export interface ClusterEntry {
  name: string;
  url: string;
}

interface SendBody {
  data?: { id: string; message_id: string; delivery_status: string };
  code?: string;
}

/** Answers after which the same request may be tried again elsewhere: nothing final was said. */
const RETRYABLE = new Set([409, 502, 503, 504]);
const RETRY_PAUSE_MS = 150;

/** A final answer that is not a send's, or no answer in time: the intent failed. */
class GaveUp extends Error {}

export const sessionPath = (session: string, route: string) => (session === 'default' ? `/api/${route}` : `/api/sessions/${session}/${route}`);

/**
 * Sends one intent, first through `entries[seq % n]`, then through the following ones in turn.
 * Gives up only after `giveUpMs`, throwing with the attempts made.
 */
export async function sendExactlyOnce(entries: () => readonly ClusterEntry[], apiKey: string, intent: SendIntent, giveUpMs: number): Promise<SendAnswer> {
  const attempts: string[] = [];
  const deadline = Date.now() + giveUpMs;
  for (let turn = intent.seq; ; turn++) {
    const nodes = entries();
    const node = nodes[turn % nodes.length]!;
    try {
      const res = await fetch(node.url + sessionPath(intent.session, 'send-message'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey, 'Idempotency-Key': intent.idempotencyKey },
        body: JSON.stringify({ phone: intent.phone, message: intent.text }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json().catch(() => ({}))) as SendBody;
      attempts.push(`${node.name} ${res.status}${body.code ? ` ${body.code}` : ''}`);
      if ((res.status === 200 || res.status === 202) && body.data) {
        return {
          intent,
          status: res.status,
          id: body.data.id,
          messageId: body.data.message_id,
          deliveryStatus: body.data.delivery_status,
          replayed: res.headers.get('idempotent-replayed') === 'true',
          attempts,
        };
      }
      if (!RETRYABLE.has(res.status)) throw new GaveUp(`send ${intent.idempotencyKey} answered ${res.status} ${JSON.stringify(body)}`);
    } catch (error) {
      if (error instanceof GaveUp) throw error;
      // fetch's errors come from another realm under jest: read them by shape, not by class.
      const { cause, name } = error as { cause?: { code?: string }; name?: string };
      attempts.push(`${node.name} ${cause?.code ?? name ?? 'error'}`);
    }
    if (Date.now() > deadline) throw new GaveUp(`send ${intent.idempotencyKey} unanswered after ${giveUpMs} ms: ${attempts.join(', ')}`);
    await sleep(RETRY_PAUSE_MS);
  }
}
