/**
 * WhatsApp's server ack for each message stanza we send, read off the raw socket. Baileys 7 routes
 * `CB:ack,class:message` only to its handleBadAck (errors), so a positive ack is otherwise lost and
 * "written to the socket" would pass for "accepted by WhatsApp". One tracker per socket: a send
 * registers its id before the stanza goes out (the ack can beat sendMessage's own resolution), then
 * waits for the ack, an error ack, the timeout, or the connection closing — whichever comes first.
 */
import type { EventEmitter } from 'node:events';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { describeServerError, REACHOUT_TIMELOCK_CODE, SendOutcomeUnknownError, serverErrorReason, ServerRejectedError } from '../send-outcome.js';
import type { TransportEventMap } from '../transport.js';

export interface ServerAck {
  messageId: string;
  /** The chat the ack names (phone or LID JID). */
  from: string;
  /** WhatsApp's error code when the server refused the message. */
  errorCode?: number;
  at: Date;
}

interface AckSource {
  on(event: 'CB:ack,class:message', listener: (node: BinaryNode) => void): unknown;
  off(event: 'CB:ack,class:message', listener: (node: BinaryNode) => void): unknown;
}

interface Waiter {
  resolve(ack: ServerAck): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

export interface PendingAck {
  /** Resolves on the positive ack; rejects with ServerRejectedError or SendOutcomeUnknownError. */
  readonly acked: Promise<ServerAck>;
  /**
   * The stanza is out: the timeout runs from now. Not from `expect`, which comes before a media
   * upload that may itself take longer than the timeout.
   */
  startTimeout(): void;
  /** The send failed before the stanza went out: stop waiting. */
  cancel(): void;
}

export class ServerAckTracker {
  private readonly waiting = new Map<string, Waiter>();
  private closed = false;
  private readonly listener = (node: BinaryNode) => this.onAck(node);

  constructor(
    private readonly source: AckSource,
    private readonly timeoutMs: number,
    /** Every message ack, awaited or not (a late ack after a timeout still makes the record `sent`). */
    private readonly onAny: (ack: ServerAck) => void,
  ) {
    source.on('CB:ack,class:message', this.listener);
  }

  expect(messageId: string): PendingAck {
    let waiter: Waiter | undefined;
    const acked = new Promise<ServerAck>((resolve, reject) => {
      if (this.closed) {
        reject(new SendOutcomeUnknownError(messageId, 'connection-closed'));
        return;
      }
      waiter = { resolve, reject };
      this.waiting.set(messageId, waiter);
    });
    // A cancelled or abandoned wait must not surface as an unhandled rejection.
    acked.catch(() => undefined);
    return {
      acked,
      startTimeout: () => {
        if (!waiter || this.waiting.get(messageId) !== waiter || waiter.timer) return;
        const current = waiter;
        current.timer = setTimeout(() => {
          if (this.waiting.get(messageId) === current) this.waiting.delete(messageId);
          current.reject(new SendOutcomeUnknownError(messageId, 'ack-timeout', this.timeoutMs));
        }, this.timeoutMs);
      },
      cancel: () => {
        if (!waiter || this.waiting.get(messageId) !== waiter) return;
        clearTimeout(waiter.timer);
        this.waiting.delete(messageId);
      },
    };
  }

  /** The connection closed: every stanza still unacked has an unknown outcome. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.off('CB:ack,class:message', this.listener);
    for (const [messageId, waiter] of this.waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new SendOutcomeUnknownError(messageId, 'connection-closed'));
    }
    this.waiting.clear();
  }

  private onAck(node: BinaryNode): void {
    const { id, from, error } = node.attrs;
    if (!id) return;
    const code = error === undefined ? undefined : Number(error);
    const ack: ServerAck = { messageId: id, from: from ?? '', errorCode: code !== undefined && Number.isFinite(code) ? code : undefined, at: new Date() };
    if (error !== undefined && ack.errorCode === undefined) ack.errorCode = 0;
    this.onAny(ack);
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    if (ack.errorCode !== undefined) waiter.reject(new ServerRejectedError(id, ack.errorCode));
    else waiter.resolve(ack);
  }
}

interface AckReportContext {
  events: EventEmitter<TransportEventMap>;
  socket: { fetchAccountReachoutTimelock?: () => Promise<{ isActive?: boolean; timeEnforcementEnds?: Date }> };
  logger: Logger;
}

/**
 * Every server ack becomes a status of the message (a late ack after a timeout still makes the
 * record `sent`); a 463 also reports the restriction, with its end when WhatsApp tells it.
 */
export function reportServerAck(ack: ServerAck, { events, socket, logger }: AckReportContext): void {
  if (ack.errorCode === undefined) {
    events.emit('message-status', { messageId: ack.messageId, jid: ack.from, status: 'sent' });
    return;
  }
  const error = describeServerError(ack.errorCode);
  logger.warn({ messageId: ack.messageId, code: ack.errorCode, to: ack.from }, 'WhatsApp refused a message');
  events.emit('message-status', { messageId: ack.messageId, jid: ack.from, status: 'failed', error, errorCode: ack.errorCode });
  if (ack.errorCode !== REACHOUT_TIMELOCK_CODE) return;
  const report = (until?: Date): void => {
    events.emit('account-restricted', {
      code: ack.errorCode!,
      reason: serverErrorReason(ack.errorCode!),
      messageId: ack.messageId,
      until: until?.toISOString(),
      at: ack.at.toISOString(),
    });
  };
  const fetchLock = socket.fetchAccountReachoutTimelock;
  if (!fetchLock) {
    report();
    return;
  }
  fetchLock()
    .then((lock) => report(lock.isActive ? lock.timeEnforcementEnds : undefined))
    .catch((error: unknown) => {
      logger.warn({ err: error }, 'could not ask WhatsApp when the restriction ends');
      report();
    });
}
