/**
 * Drains the outbox while WhatsApp is connected, applying the exactly-once rules documented in
 * outbox-repository.ts: the WhatsApp id is committed before the send, a job recovered from a crash
 * is completed without sending when a receipt proves it arrived, and otherwise resent under the
 * same id. One job at a time, so the account's sends keep the order they were accepted in.
 */
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../store/clock.js';
import type { MessageRepository } from '../records/message-repository.js';
import { OutboxStateError, type HoldPolicy, type OutboxJob, type OutboxRepository } from './outbox-repository.js';
import type { PacingPolicy } from './pacing.js';

export interface OutboxSender {
  isConnected(): boolean;
  /** A fresh WhatsApp message id (the adapter uses Baileys' generateMessageIDV2). */
  newMessageId(): string;
  /** Sends the job with Baileys' `messageId` option set to `waMessageId`; resolves once WhatsApp took it. */
  send(job: OutboxJob, waMessageId: string): Promise<void>;
}

export type OutboxOutcome = { job: OutboxJob; result: 'sent' } | { job: OutboxJob; result: 'failed'; error: string };

export interface OutboxWorkerOptions {
  outbox: OutboxRepository;
  messages: MessageRepository;
  sender: OutboxSender;
  pacing: PacingPolicy;
  logger?: Logger;
  clock?: Clock;
  /** Attempts while connected before a job is failed for good. Default 3. */
  maxAttempts?: number;
  /** Wait before retrying a job whose send failed. Default 5 s. */
  retryDelayMs?: number;
  /** Recipients whose sends must wait (new contacts while the account is restricted). */
  heldUntil?: HoldPolicy;
  /** Called once per job that reached sent or failed: remove its media, publish the webhook event. */
  onSettled?: (outcome: OutboxOutcome) => void | Promise<void>;
}

const PROOF_OF_SENDING = new Set(['sent', 'delivered', 'read']);

export class OutboxWorker {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private running = false;
  private timer: unknown = null;
  private loop: Promise<void> | null = null;
  private again = false;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'outbox' });
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 5000;
  }

  /** Recovers jobs a crash left in flight, then starts draining. */
  async start(): Promise<void> {
    if (this.running) return;
    const recovered = await this.options.outbox.recoverInFlight();
    if (recovered.length > 0)
      this.log.warn({ jobs: recovered.map((j) => j.messageId) }, 'outbox jobs interrupted by a restart will be checked and resent under their original ids');
    this.running = true;
    this.kick();
  }

  /** Call after an enqueue and when the connection opens. */
  kick(): void {
    if (!this.running) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.clearTimer();
    this.loop = this.drain()
      .catch((err: unknown) => {
        this.log.error({ err }, 'outbox drain failed; retrying');
        this.schedule(this.clock.now() + this.retryDelayMs);
      })
      .finally(() => {
        this.loop = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops after the job in flight, if any, is sent and recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    while (this.loop) await this.loop;
  }

  private async drain(): Promise<void> {
    const { outbox, sender, pacing } = this.options;
    while (this.running && sender.isConnected()) {
      const ready = await outbox.nextReady(this.clock.now(), pacing, this.options.heldUntil);
      // Stopped while the read was on its way (a lease lost in a partition, answered after healing):
      // the job is no longer ours to take.
      if (!this.running) return;
      if (!ready.job) {
        if (ready.wakeAt !== null) this.schedule(ready.wakeAt);
        return;
      }
      await this.process(ready.job);
    }
  }

  private async process(job: OutboxJob): Promise<void> {
    const { outbox, messages, sender } = this.options;
    if (job.waMessageId) {
      const record = await messages.getByWaId(job.waMessageId);
      if (record && PROOF_OF_SENDING.has(record.status)) {
        if (!(await this.take(job, job.waMessageId))) return;
        const done = await outbox.complete(job.messageId, this.clock.now());
        this.log.info({ messageId: job.messageId, waMessageId: job.waMessageId }, 'interrupted job had already reached WhatsApp; not resending');
        await this.options.onSettled?.({ job: done, result: 'sent' });
        return;
      }
      // Failed on its record but not in the outbox: a crash between the two writes of a failure
      // (or a late error ack). Never resent: the failure stands and the job settles with it.
      if (record?.status === 'failed') {
        const error = record.error ?? 'unknown error';
        const failed = await outbox.fail(job.messageId, error, this.clock.now());
        this.log.warn(
          { messageId: job.messageId, waMessageId: job.waMessageId, error },
          'job whose message already failed is settled as failed; not resending',
        );
        await this.options.onSettled?.({ job: failed, result: 'failed', error });
        return;
      }
    }
    const inFlight = await this.take(job, job.waMessageId ?? sender.newMessageId());
    if (!inFlight) return;
    const waMessageId = inFlight.waMessageId!;
    await messages.setWaMessageId(job.messageId, waMessageId);
    try {
      await sender.send(inFlight, waMessageId);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      // `retryable` is the transport's verdict: false = WhatsApp refused it (an error ack such as
      // 463, never resent automatically); true = no server ack (resent under the same id, and
      // every such attempt counts, so a stanza that never gets acked is resent a bounded number of times).
      const verdict = (err as { retryable?: unknown } | null)?.retryable;
      const connected = sender.isConnected();
      if (verdict !== false && (verdict === true ? inFlight.attempts < this.maxAttempts : !connected || inFlight.attempts < this.maxAttempts)) {
        await outbox.release(job.messageId, error, connected ? this.clock.now() + this.retryDelayMs : null, connected || verdict === true);
        this.log.warn({ messageId: job.messageId, attempt: inFlight.attempts, error }, 'outbox send failed; will retry');
        return;
      }
      // Record first, as for a success: a crash in between leaves a job whose record shows the
      // failure, which the restart settles without resending (see above).
      await messages.markStatusById(job.messageId, 'failed', new Date(this.clock.now()), error);
      const failed = await outbox.fail(job.messageId, error, this.clock.now());
      this.log.error({ messageId: job.messageId, error }, 'outbox send failed for good');
      await this.options.onSettled?.({ job: failed, result: 'failed', error });
      return;
    }
    // Record first, then complete: a crash in between leaves a job whose record proves it was
    // sent, which the restart completes without resending. The other order left a completed job
    // whose record stayed 'queued' forever when no receipt followed.
    await messages.markStatusById(job.messageId, 'sent', new Date(this.clock.now()));
    const done = await outbox.complete(job.messageId, this.clock.now());
    await this.options.onSettled?.({ job: done, result: 'sent' });
  }

  /**
   * Marks the job in flight; undefined when it is no longer queued: another node (the session's
   * driver before a handover) took or settled it, and finishing its message is that node's job, so
   * it is skipped without failing it. Its recipient stays blocked while it is in flight (nextReady).
   */
  private async take(job: OutboxJob, waMessageId: string): Promise<OutboxJob | undefined> {
    try {
      return await this.options.outbox.markInFlight(job.messageId, waMessageId, this.clock.now());
    } catch (error) {
      if (!(error instanceof OutboxStateError)) throw error;
      this.log.info({ messageId: job.messageId, reason: error.message }, 'outbox job taken by another node; skipped');
      return undefined;
    }
  }

  private schedule(at: number): void {
    if (!this.running) return;
    this.clearTimer();
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.kick();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
