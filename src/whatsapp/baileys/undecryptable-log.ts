/**
 * Logs messages that could not be decrypted without letting a flood of them flood the log: the
 * first one at once, then at most one line per interval, saying how many arrived since the last.
 * (A contact whose session is broken, or someone sending garbage, can send thousands.)
 */
import type { Logger } from 'pino';
import type { UndecryptableMessage } from '../transport.js';

const INTERVAL_MS = 10_000;

export class UndecryptableLog {
  private unlogged = 0;
  private lastLoggedAt = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(message: UndecryptableMessage): void {
    this.unlogged++;
    const at = this.now();
    if (at - this.lastLoggedAt < INTERVAL_MS) return;
    this.logger.warn(
      { count: this.unlogged, lastId: message.id, from: message.from, reason: message.reason },
      'WhatsApp messages could not be decrypted; their senders were asked to resend them',
    );
    this.unlogged = 0;
    this.lastLoggedAt = at;
  }
}
