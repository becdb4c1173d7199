/**
 * Delivers webhook events: one persisted delivery per configured URL, POSTed signed, retried with
 * exponential backoff until a 2xx or the attempt budget is spent. Because the queue lives in the
 * database, a restart picks up where the last run stopped; receivers get at-least-once delivery and
 * deduplicate on `X-Webhook-Id`.
 */
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../store/clock.js';
import type { WebhookDelivery, WebhookDeliveryRepository } from './webhook-delivery-repository.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { WebhookEvent } from './events.js';
import { WEBHOOK_HEADERS, signatureHeader } from './signature.js';

export { systemClock, type Clock };

export interface WebhookDispatcherOptions {
  repository: WebhookDeliveryRepository;
  urls: readonly string[];
  /** Required: without it receivers could not tell our deliveries from forgeries. */
  secret: string;
  logger?: Logger;
  /** Per attempt, including reading the response status. Default 10 s. */
  timeoutMs?: number;
  /** Default base 5 s, capped at 30 min. */
  backoff?: BackoffOptions;
  /** Attempts before a delivery is marked failed. Default 12 (about 4 h with the default backoff). */
  maxAttempts?: number;
  /** Deliveries in flight at once, so one slow receiver does not hold up the others. Default 4. */
  concurrency?: number;
  clock?: Clock;
  random?: () => number;
  fetch?: typeof fetch;
  userAgent?: string;
}

export class WebhookConfigError extends Error {
  readonly code = 'WEBHOOK_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'WebhookConfigError';
  }
}

/** The longest the worker sleeps between looks at the queue, so rows written by a replay or another process are not stranded. */
const MAX_IDLE_MS = 60_000;

export class WebhookDispatcher {
  private readonly repository: WebhookDeliveryRepository;
  private readonly urls: readonly string[];
  private readonly secret: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;
  private readonly userAgent: string;

  private running = false;
  private timer: unknown = null;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(options: WebhookDispatcherOptions) {
    if (!options.secret) {
      throw new WebhookConfigError('Webhooks need a signing secret (WEBHOOK_SECRET); there is no default, so receivers can trust what they get');
    }
    if (options.urls.length === 0) throw new WebhookConfigError('Webhooks need at least one URL (WEBHOOK_URL)');
    for (const url of options.urls) {
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw new WebhookConfigError(`Webhook URL is not a valid URL: ${url}`);
      }
      if (protocol !== 'http:' && protocol !== 'https:') throw new WebhookConfigError(`Webhook URL must be http or https: ${url}`);
    }
    this.repository = options.repository;
    this.urls = [...options.urls];
    this.secret = options.secret;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'webhooks' });
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoff = options.backoff ?? { baseMs: 5_000, maxMs: 30 * 60_000 };
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 12);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'whatsapp-gateway-webhooks';
  }

  /** Starts the worker; deliveries left pending by an earlier run go out first. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  /** Persists one delivery per URL; they go out as soon as the worker runs. */
  async publish(event: WebhookEvent): Promise<WebhookDelivery[]> {
    const payload = JSON.stringify(event);
    const deliveries = await this.repository.enqueue(
      this.urls.map((url) => ({ eventId: event.id, eventType: event.event, url, payload })),
      this.clock.now(),
    );
    this.kick();
    return deliveries;
  }

  /** Makes a failed delivery pending again with a fresh attempt budget. */
  async replay(id: string): Promise<WebhookDelivery | null> {
    const delivery = await this.repository.replay(id, this.clock.now());
    this.kick();
    return delivery;
  }

  /** Stops taking deliveries and waits for those in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    while (this.filling || this.inFlight.size > 0) {
      await Promise.allSettled([this.filling, ...this.inFlight.values()]);
    }
  }

  private kick(): void {
    if (!this.running) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.fill()
      .catch((err: unknown) => {
        this.log.error({ err }, 'webhook queue check failed; retrying shortly');
        this.schedule(this.clock.now() + Math.min(this.backoff.baseMs, MAX_IDLE_MS));
      })
      .finally(() => {
        this.filling = null;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.kick();
        }
      });
  }

  private async fill(): Promise<void> {
    this.clearTimer();
    const free = this.concurrency - this.inFlight.size;
    if (free > 0) {
      const due = await this.repository.due(this.clock.now(), free, [...this.inFlight.keys()]);
      for (const delivery of due) {
        if (!this.running) break;
        const attempt = this.attempt(delivery)
          // A store error (disk full, SQLITE_BUSY) must not become an unhandled rejection that
          // kills the gateway; the delivery stays pending and is tried again.
          .catch((err: unknown) => this.log.error({ err, deliveryId: delivery.id }, 'could not record a webhook attempt'))
          .finally(() => {
            this.inFlight.delete(delivery.id);
            this.kick();
          });
        this.inFlight.set(delivery.id, attempt);
      }
    }
    // When every slot is busy, a finishing attempt kicks the worker; no timer needed.
    if (!this.running || this.inFlight.size >= this.concurrency) return;
    const next = await this.repository.nextDueAt([...this.inFlight.keys()]);
    this.schedule(next === null ? this.clock.now() + MAX_IDLE_MS : next);
  }

  private schedule(at: number): void {
    if (!this.running) return;
    this.clearTimer();
    const delay = Math.min(Math.max(0, at - this.clock.now()), MAX_IDLE_MS);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const attempt = delivery.attempts + 1;
    const timestamp = Math.floor(this.clock.now() / 1000);
    let statusCode: number | null = null;
    let error: string;
    let retryAfterMs: number | null = null;
    try {
      const response = await this.fetch(delivery.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': this.userAgent,
          [WEBHOOK_HEADERS.id]: delivery.eventId,
          [WEBHOOK_HEADERS.event]: delivery.eventType,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signatureHeader(this.secret, timestamp, delivery.payload),
          [WEBHOOK_HEADERS.attempt]: String(attempt),
        },
        body: delivery.payload,
        // A redirect would re-send the signed body to a URL nobody configured.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      statusCode = response.status;
      // The body is not needed; cancelling frees the socket instead of buffering a large reply.
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        await this.repository.markDelivered(delivery.id, this.clock.now(), response.status);
        this.log.debug({ delivery: delivery.id, event: delivery.eventType, attempt }, 'webhook delivered');
        return;
      }
      error = `HTTP ${response.status}`;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
    } catch (err) {
      error = describeFetchError(err, this.timeoutMs);
    }

    const now = this.clock.now();
    const giveUp = attempt >= this.maxAttempts;
    const delay = Math.max(backoffDelay(attempt, this.backoff, this.random), Math.min(retryAfterMs ?? 0, this.backoff.maxMs));
    await this.repository.markAttemptFailed(delivery.id, { at: now, error, statusCode, nextAttemptAt: giveUp ? null : now + delay });
    if (giveUp) {
      this.log.warn(
        { delivery: delivery.id, url: delivery.url, event: delivery.eventType, attempts: attempt, error },
        'webhook delivery failed for good; replayable',
      );
    } else {
      this.log.info({ delivery: delivery.id, url: delivery.url, attempt, error, retryInMs: delay }, 'webhook delivery failed; will retry');
    }
  }
}

function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Duck-typed: fetch's errors (DOMException, undici's TypeError) may come from another realm. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: unknown; message?: unknown; cause?: { message?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const cause = typeof e?.cause?.message === 'string' ? e.cause.message : '';
  return cause ? `${message}: ${cause}` : message;
}
