/**
 * The gateway's Prometheus metrics: one registry per process (tests run several gateways in one
 * process, so never prom-client's global one), with the process metrics collected once and every
 * gateway metric labelled with the session it belongs to, so GET /metrics shows every account. Each
 * session's services get hooks bound to their session (`forSession`); a session that stops (deleted,
 * or the process shutting down) takes its series with it. Labels are closed sets — sessions,
 * message types, statuses, error codes, close codes, route templates — never phone numbers or ids,
 * so a busy gateway cannot grow the series without bound.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionPhase, ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';
import { HttpSeries } from './http-series.js';

/** What a message record went through; `sent` and `acked` both follow WhatsApp's server ack (`acked` once per id). */
export type MessageOutcome = 'accepted' | 'sent' | 'acked' | 'delivered' | 'read' | 'failed';
export type WebhookOutcome = 'queued' | 'delivered' | 'retrying' | 'failed';

const PHASES: readonly ConnectionPhase[] = [
  'starting',
  'connecting',
  'awaiting_qr',
  'awaiting_pairing_code',
  'open',
  'waiting_to_retry',
  'replaced',
  'logged_out',
  'stopped',
];

/** Read when Prometheus scrapes, so the figures are as fresh as the scrape. */
export interface ObservedState {
  transport: Pick<WhatsAppTransport, 'events' | 'status'>;
  outbox?: () => Promise<{ jobs: number; bytes: number; oldestAcceptedAt: number | null }>;
  webhookBacklog?: () => Promise<number>;
}

/** The process's registry and metrics; GET /metrics and the HTTP counter use it. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts one HTTP request under the session whose route served it. */
  httpRequest(session: string, method: string, route: string, status: number, seconds: number): void;
  /** The hooks one session's services count through, every figure labelled `session`. */
  forSession(session: string): SessionMetrics;
}

/** One session's hooks: what its services count, labelled with its name. */
export interface SessionMetrics {
  readonly session: string;
  /** The whole process's metrics (GET /metrics shows every session). */
  readonly gateway: GatewayMetrics;
  /**
   * Starts reading connection, outbox and webhook state; returns the way to stop, which also
   * removes the session's series (a deleted session leaves no figures behind).
   */
  observe(state: ObservedState): () => void;
  message(type: string, status: MessageOutcome): void;
  messageFailed(type: string, code: string): void;
  messageSent(type: string, secondsSinceAccepted: number): void;
  webhookDelivery(outcome: WebhookOutcome, count?: number): void;
  mediaConversion(kind: string, outcome: 'converted' | 'failed', seconds: number): void;
}

export function createGatewayMetrics(now: () => number = Date.now): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const messages = new Counter({
    name: 'wa_gateway_messages_total',
    help: 'Outgoing messages by type and by what happened to them (accepted, sent = acknowledged by the server, acked = server acks seen, delivered, read, failed)',
    labelNames: ['session', 'type', 'status'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'wa_gateway_message_failures_total',
    help: 'Outgoing messages that failed, by type and error code',
    labelNames: ['session', 'type', 'code'] as const,
    registers,
  });
  const sendDuration = new Histogram({
    name: 'wa_gateway_send_duration_seconds',
    help: "From acceptance to WhatsApp's server ack (outbox waits included)",
    labelNames: ['session', 'type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers,
  });
  const reconnects = new Counter({
    name: 'wa_gateway_reconnects_total',
    help: 'WhatsApp connection closes the gateway reacted to, by close code (515 restart, 408 timeout, 428 closed, 401 logged out, 0 no code, …)',
    labelNames: ['session', 'code'] as const,
    registers,
  });
  const undecryptable = new Counter({
    name: 'wa_gateway_undecryptable_messages_total',
    help: 'Incoming messages that could not be decrypted (Bad MAC, no session); their senders are asked to resend',
    labelNames: ['session'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'wa_gateway_webhook_deliveries_total',
    help: 'Webhook deliveries by outcome: queued, delivered, retrying (an attempt failed), failed (gave up)',
    labelNames: ['session', 'outcome'] as const,
    registers,
  });
  const conversions = new Counter({
    name: 'wa_gateway_media_conversions_total',
    help: 'Media conversions by kind and outcome',
    labelNames: ['session', 'kind', 'outcome'] as const,
    registers,
  });
  const conversionDuration = new Histogram({
    name: 'wa_gateway_media_conversion_duration_seconds',
    help: 'Time to prepare media for WhatsApp (probe, convert, thumbnail), by kind',
    labelNames: ['session', 'kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  // Counted per request into plain maps, handed to prom-client at scrape time (http-series.ts).
  const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
  const httpSeries = new HttpSeries(httpBuckets);
  const httpRequests = new Counter({
    name: 'wa_gateway_http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['session', 'method', 'route', 'status'] as const,
    registers,
    collect() {
      httpSeries.collectCounts(this);
    },
  });
  const httpDuration = new Histogram({
    name: 'wa_gateway_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['session', 'method', 'route'] as const,
    buckets: httpBuckets,
    registers,
    collect() {
      httpSeries.collectDurations(this);
    },
  });

  /** The sessions being observed; a scrape reads each of them, and a stopped one is no longer listed. */
  const observed = new Map<string, ObservedState>();
  // Each scrape starts from an empty gauge, so a session that stopped leaves no stale series.
  const perSession = async (gauge: Gauge<string>, read: (session: string, state: ObservedState) => Promise<void> | void) => {
    gauge.reset();
    await Promise.all([...observed].map(([session, state]) => read(session, state)));
  };
  new Gauge({
    name: 'wa_gateway_connected',
    help: "1 while the session's WhatsApp connection is open",
    labelNames: ['session'] as const,
    registers,
    collect() {
      return perSession(this, (session, state) => this.set({ session }, state.transport.status().connected ? 1 : 0));
    },
  });
  new Gauge({
    name: 'wa_gateway_connection_state',
    help: "The session's connection phase: 1 for the current one, 0 for the others",
    labelNames: ['session', 'state'] as const,
    registers,
    collect() {
      return perSession(this, (session, { transport }) => {
        const phase = transport.status().phase;
        for (const state of PHASES) this.set({ session, state }, state === phase ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'wa_gateway_outbox_messages',
    help: "Messages waiting in the session's outbox (queued or being sent)",
    labelNames: ['session'] as const,
    registers,
    collect() {
      return perSession(this, async (session, state) => this.set({ session }, (await state.outbox?.())?.jobs ?? 0));
    },
  });
  new Gauge({
    name: 'wa_gateway_outbox_oldest_age_seconds',
    help: "How long the oldest message in the session's outbox has waited; 0 when it is empty",
    labelNames: ['session'] as const,
    registers,
    collect() {
      return perSession(this, async (session, state) => {
        const oldest = (await state.outbox?.())?.oldestAcceptedAt ?? null;
        this.set({ session }, oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
      });
    },
  });
  new Gauge({
    name: 'wa_gateway_webhook_backlog',
    help: "The session's webhook deliveries still to be made (first attempts and retries)",
    labelNames: ['session'] as const,
    registers,
    collect() {
      return perSession(this, async (session, state) => this.set({ session }, (await state.webhookBacklog?.()) ?? 0));
    },
  });

  /** Counters and histograms: their series of a session are removed when it stops. */
  const labelled = [
    messages,
    failures,
    sendDuration,
    reconnects,
    undecryptable,
    webhookDeliveries,
    conversions,
    conversionDuration,
    httpRequests,
    httpDuration,
  ];
  /** Sessions whose hooks are in use; an HTTP request that ends after its session stopped is not counted. */
  const live = new Set<string>();
  const forget = async (session: string) => {
    httpSeries.forget(session);
    for (const metric of labelled) {
      for (const { labels } of (await metric.get()).values) {
        if (labels.session !== session) continue;
        const series: Record<string, string | number | undefined> = { ...labels };
        delete series.le; // a histogram's buckets go with their series
        (metric as Counter<string>).remove(series);
      }
    }
  };

  const gateway: GatewayMetrics = {
    registry,
    httpRequest(session, method, route, status, seconds) {
      if (!live.has(session)) return;
      httpSeries.record(session, method, route, status, seconds);
    },
    forSession(session) {
      live.add(session);
      // Once stopped, a late count (a send that was in flight) must not bring the series back.
      let stopped = false;
      let lastClose: string | undefined;
      const onConnection = (status: ConnectionStatus) => {
        const close = status.lastDisconnect;
        if (stopped || !close || close.at === lastClose) return; // status is re-emitted on every phase change
        lastClose = close.at;
        reconnects.inc({ session, code: String(close.code) });
      };
      const onUndecryptable = () => {
        if (!stopped) undecryptable.inc({ session });
      };
      return {
        session,
        gateway,
        observe(state) {
          observed.set(session, state);
          lastClose = state.transport.status().lastDisconnect?.at;
          state.transport.events.on('connection', onConnection);
          state.transport.events.on('undecryptable-message', onUndecryptable);
          return () => {
            state.transport.events.off('connection', onConnection);
            state.transport.events.off('undecryptable-message', onUndecryptable);
            observed.delete(session);
            live.delete(session);
            stopped = true;
            void forget(session);
          };
        },
        message(type, status) {
          if (stopped) return;
          messages.inc({ session, type, status });
        },
        messageFailed(type, code) {
          if (stopped) return;
          messages.inc({ session, type, status: 'failed' });
          failures.inc({ session, type, code });
        },
        messageSent(type, secondsSinceAccepted) {
          if (stopped) return;
          messages.inc({ session, type, status: 'sent' });
          sendDuration.observe({ session, type }, Math.max(0, secondsSinceAccepted));
        },
        webhookDelivery(outcome, count = 1) {
          if (stopped) return;
          webhookDeliveries.inc({ session, outcome }, count);
        },
        mediaConversion(kind, outcome, seconds) {
          if (stopped) return;
          conversions.inc({ session, kind, outcome });
          conversionDuration.observe({ session, kind }, seconds);
        },
      };
    },
  };
  return gateway;
}
