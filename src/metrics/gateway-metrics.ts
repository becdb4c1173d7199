/**
 * The gateway's Prometheus metrics: one registry per gateway (tests run several in one process, so
 * never prom-client's global one), the metrics themselves, and narrow hooks the services call. Labels
 * are closed sets — message types, statuses, error codes, close codes, route templates — never phone
 * numbers or ids, so a busy gateway cannot grow the series without bound.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionPhase, ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';

/** What a message record went through; `sent` and `acked` both follow WhatsApp's server ack (`acked` once per id). */
export type MessageOutcome = 'accepted' | 'sent' | 'acked' | 'delivered' | 'read' | 'failed';
export type WebhookOutcome = 'queued' | 'delivered' | 'retrying' | 'failed';

const PHASES: readonly ConnectionPhase[] = ['starting', 'connecting', 'awaiting_qr', 'open', 'waiting_to_retry', 'replaced', 'logged_out', 'stopped'];

/** Read when Prometheus scrapes, so the figures are as fresh as the scrape. */
export interface ObservedState {
  transport: Pick<WhatsAppTransport, 'events' | 'status'>;
  outbox?: () => Promise<{ jobs: number; bytes: number; oldestAcceptedAt: number | null }>;
  webhookBacklog?: () => Promise<number>;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(now: () => number = Date.now) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const messages = new Counter({
    name: 'wa_gateway_messages_total',
    help: 'Outgoing messages by type and by what happened to them (accepted, sent = acknowledged by the server, acked = server acks seen, delivered, read, failed)',
    labelNames: ['type', 'status'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'wa_gateway_message_failures_total',
    help: 'Outgoing messages that failed, by type and error code',
    labelNames: ['type', 'code'] as const,
    registers,
  });
  const sendDuration = new Histogram({
    name: 'wa_gateway_send_duration_seconds',
    help: "From acceptance to WhatsApp's server ack (outbox waits included)",
    labelNames: ['type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers,
  });
  const reconnects = new Counter({
    name: 'wa_gateway_reconnects_total',
    help: 'WhatsApp connection closes the gateway reacted to, by close code (515 restart, 408 timeout, 428 closed, 401 logged out, 0 no code, …)',
    labelNames: ['code'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'wa_gateway_webhook_deliveries_total',
    help: 'Webhook deliveries by outcome: queued, delivered, retrying (an attempt failed), failed (gave up)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const conversions = new Counter({
    name: 'wa_gateway_media_conversions_total',
    help: 'Media conversions by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const conversionDuration = new Histogram({
    name: 'wa_gateway_media_conversion_duration_seconds',
    help: 'Time to prepare media for WhatsApp (probe, convert, thumbnail), by kind',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const httpRequests = new Counter({
    name: 'wa_gateway_http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'wa_gateway_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers,
  });

  let observed: ObservedState | undefined;
  new Gauge({
    name: 'wa_gateway_connected',
    help: '1 while the WhatsApp connection is open',
    registers,
    collect() {
      this.set(observed?.transport.status().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wa_gateway_connection_state',
    help: 'The connection phase: 1 for the current one, 0 for the others',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const phase = observed?.transport.status().phase;
      for (const state of PHASES) this.set({ state }, state === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wa_gateway_outbox_messages',
    help: 'Messages waiting in the outbox (queued or being sent)',
    registers,
    async collect() {
      this.set((await observed?.outbox?.())?.jobs ?? 0);
    },
  });
  new Gauge({
    name: 'wa_gateway_outbox_oldest_age_seconds',
    help: 'How long the oldest message in the outbox has waited; 0 when it is empty',
    registers,
    async collect() {
      const oldest = (await observed?.outbox?.())?.oldestAcceptedAt ?? null;
      this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'wa_gateway_webhook_backlog',
    help: 'Webhook deliveries still to be made (first attempts and retries)',
    registers,
    async collect() {
      this.set((await observed?.webhookBacklog?.()) ?? 0);
    },
  });

  let lastClose: string | undefined;
  const onConnection = (status: ConnectionStatus) => {
    const close = status.lastDisconnect;
    if (!close || close.at === lastClose) return; // status is re-emitted on every phase change
    lastClose = close.at;
    reconnects.inc({ code: String(close.code) });
  };

  return {
    registry,
    /** Starts reading connection, outbox and webhook state; returns the way to stop. */
    observe(state: ObservedState): () => void {
      observed = state;
      lastClose = state.transport.status().lastDisconnect?.at;
      state.transport.events.on('connection', onConnection);
      return () => state.transport.events.off('connection', onConnection);
    },
    message(type: string, status: MessageOutcome): void {
      messages.inc({ type, status });
    },
    messageFailed(type: string, code: string): void {
      messages.inc({ type, status: 'failed' });
      failures.inc({ type, code });
    },
    messageSent(type: string, secondsSinceAccepted: number): void {
      messages.inc({ type, status: 'sent' });
      sendDuration.observe({ type }, Math.max(0, secondsSinceAccepted));
    },
    webhookDelivery(outcome: WebhookOutcome, count = 1): void {
      webhookDeliveries.inc({ outcome }, count);
    },
    mediaConversion(kind: string, outcome: 'converted' | 'failed', seconds: number): void {
      conversions.inc({ kind, outcome });
      conversionDuration.observe({ kind }, seconds);
    },
    httpRequest(method: string, route: string, status: number, seconds: number): void {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
  };
}
