/**
 * GET `/`, `/api/health`, `/api/status`: what the gateway is and how its WhatsApp
 * connection is doing. Every value is read from the running configuration and the transport, so
 * the feature flags tell the truth.
 */
import { MEDIA_KINDS } from '../domain/vocabulary.js';
import type { Request, Response } from 'express';
import type { Config } from '../config/config.js';
import type { MediaCapabilities, SendableKinds } from '../messaging/media-preparation.js';
import type { WebhookDeliveryRepository } from '../webhooks/webhook-delivery-repository.js';
import { formatSize, type UploadPolicies } from '../messaging/upload-policy.js';
import type { ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';
import { healthDoc, serviceInfoDoc } from './info-schemas.js';
import { sendJson } from './json-response.js';
import type { RouteSpec } from './route-spec.js';

export const VERSION = '2.0.0';

export interface RouteDescription {
  method: string;
  path: string;
  description: string;
}

export interface InfoDeps {
  config: Config;
  transport: WhatsAppTransport;
  media: MediaCapabilities;
  sendable: SendableKinds;
  routes: () => readonly RouteDescription[];
  /** Optional features switched on by later modules (webhooks, analytics). */
  features: { webhooks: boolean; analytics: boolean };
  /** Outbox usage, when the outbox is on. */
  outboxUsage?: () => Promise<{ jobs: number; bytes: number; inFlight: number }>;
  /** The webhook delivery log, when webhooks are on (for the backlog in /api/status). */
  webhookDeliveries?: Pick<WebhookDeliveryRepository, 'list'>;
  /** A restriction WhatsApp put on the account (463), while it lasts. */
  restriction?: () => { code: number; reason: string; since: string; until: string; untilFromWhatsApp: boolean } | null;
}

type OutboxUsage = Awaited<ReturnType<NonNullable<InfoDeps['outboxUsage']>>>;
type WebhookBacklog = { enabled: false } | { enabled: true; pending: number; failed: number };
const WEBHOOKS_OFF: WebhookBacklog = { enabled: false };

async function webhookBacklog(deliveries: InfoDeps['webhookDeliveries']): Promise<WebhookBacklog> {
  if (!deliveries) return WEBHOOKS_OFF;
  const [pending, failed] = await Promise.all([deliveries.list({ status: 'pending', limit: 1 }), deliveries.list({ status: 'failed', limit: 1 })]);
  return { enabled: true, pending: pending.total, failed: failed.total };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/**
 * The resident set size, read at most once a second: Node reads it from /proc on every call,
 * which was a tenth of a GET /api/status under load, and the figure is whole megabytes anyway.
 */
let rssRead = { at: 0, bytes: 0 };
function residentSetBytes(): number {
  const now = performance.now();
  if (now - rssRead.at >= 1000 || rssRead.at === 0) rssRead = { at: now, bytes: process.memoryUsage.rss() };
  return rssRead.bytes;
}
/** Seconds since start, two decimals, as v2.0.0 reports it. */
const uptime = () => Math.round(process.uptime() * 100) / 100;

export function supportedFormats(uploads: UploadPolicies): Record<string, readonly string[]> {
  return Object.fromEntries(MEDIA_KINDS.map((k) => [uploads[k].formatsKey, uploads[k].extensions]));
}

export function fileSizeLimits(uploads: UploadPolicies): Record<string, string> {
  return Object.fromEntries(MEDIA_KINDS.map((k) => [uploads[k].formatsKey, formatSize(uploads[k].maxBytes)]));
}

const flag = (on: boolean, onText: string) => (on ? onText : '❌ Disabled');

export function serviceInfo(deps: InfoDeps) {
  return (_req: Request, res: Response): void => {
    const { config, transport } = deps;
    const memory = process.memoryUsage();
    res.json({
      service: 'WhatsApp Gateway Production',
      status: 'running',
      bot_connected: transport.status().connected,
      version: VERSION,
      environment: config.environment,
      ...(config.sandbox ? { sandbox: true, notice: 'SANDBOX: messages go to a local WhatsApp emulator, never to real WhatsApp' } : {}),
      features: {
        text_messages: '✅ Working',
        image_messages: flag(deps.sendable.image, '✅ Working'),
        document_messages: flag(deps.sendable.document, '✅ Working'),
        audio_messages: flag(deps.sendable.audio, '✅ Available'),
        video_messages: flag(deps.sendable.video, '✅ Available'),
        sticker_messages: flag(deps.sendable.sticker, '✅ Available'),
        webhooks: flag(deps.features.webhooks, '✅ Enabled'),
        analytics: flag(deps.features.analytics, '✅ Enabled'),
        rate_limiting: flag(config.rateLimit.enabled, '✅ Enabled'),
        api_auth: flag(config.apiKeys.length > 0, '✅ Enabled'),
        media_conversion: flag(deps.media.conversion, '✅ Enabled'),
      },
      supported_formats: supportedFormats(config.uploads),
      file_size_limits: fileSizeLimits(config.uploads),
      endpoints: deps.routes().map((r) => `${r.method} ${r.path} - ${r.description}`),
      limits: { max_requests: config.rateLimit.max, time_window: `${config.rateLimit.windowSeconds}s` },
      uptime: uptime(),
      memory: { used: mb(memory.heapUsed), total: mb(memory.heapTotal) },
    });
  };
}

export function health(deps: Pick<InfoDeps, 'config' | 'transport'>) {
  return (_req: Request, res: Response): void => {
    res.json({
      status: 'ok',
      timestamp: new Date().toISOString(),
      uptime: uptime(),
      environment: deps.config.environment,
      ...(deps.config.sandbox ? { sandbox: true } : {}),
      services: {
        whatsapp_bot: deps.transport.status().connected ? 'connected' : 'disconnected',
        api_server: 'running',
      },
    });
  };
}

/** Sends to new contacts are paused until `until`; established chats go on. */
function restrictionView(r: ReturnType<NonNullable<InfoDeps['restriction']>>) {
  return r ? { code: r.code, reason: r.reason, since: r.since, until: r.until, until_from_whatsapp: r.untilFromWhatsApp, new_contacts_paused: true } : null;
}

export function botStatus(deps: InfoDeps) {
  const { config, transport } = deps;
  // Without an outbox or webhooks there is nothing to wait for: the answer is written at once,
  // with no promise for Express to follow (the route is polled by monitors and dashboards).
  const nothingToAwait = !deps.outboxUsage && !deps.webhookDeliveries;
  // The upload table is part of the frozen config: its formats are listed once, not per poll.
  const formats = supportedFormats(config.uploads);
  return (_req: Request, res: Response): Promise<void> | void => {
    if (nothingToAwait) return answer(res, transport.status(), undefined, WEBHOOKS_OFF);
    return (async () => {
      const s = transport.status();
      const outbox = deps.outboxUsage ? await deps.outboxUsage() : undefined;
      answer(res, s, outbox, await webhookBacklog(deps.webhookDeliveries));
    })();
  };

  function answer(res: Response, s: ConnectionStatus, outbox: OutboxUsage | undefined, webhooks: WebhookBacklog): void {
    // Polled by monitors and dashboards: written without Express's res.json (json-response.ts).
    sendJson(res, 200, {
      bot_connected: s.connected,
      connection_attempts: s.connectionAttempts,
      max_attempts: s.maxAttempts,
      thread_alive: s.running,
      upload_folder: config.uploadDir,
      session_folder: config.sessionDir,
      environment: config.environment,
      ...(config.sandbox ? { sandbox: true } : {}),
      features: {
        webhooks: deps.features.webhooks,
        analytics: deps.features.analytics,
        rate_limiting: config.rateLimit.enabled,
        api_authentication: config.apiKeys.length > 0,
        media_conversion: deps.media.conversion,
      },
      supported_formats: formats,
      connection: {
        state: s.phase,
        slow_retry: s.slowRetry,
        next_retry_at: s.nextRetryAt ?? null,
        last_disconnect: s.lastDisconnect ?? null,
        account: s.account ?? null,
      },
      outbox: outbox
        ? { enabled: true, queued: outbox.jobs, in_flight: outbox.inFlight, media_mb: Math.round((outbox.bytes / 1024 / 1024) * 100) / 100 }
        : { enabled: false },
      webhooks,
      restriction: restrictionView(deps.restriction?.() ?? null),
      system: {
        uptime: uptime(),
        memory_usage_mb: mb(residentSetBytes()),
        node_version: process.version,
        platform: process.platform,
      },
      message: 'Bot status retrieved',
    });
  }
}

/**
 * Unlinks this gateway from the WhatsApp account (an addition to v2.0.0): the phone drops the
 * device, stored credentials are wiped, and a new QR is offered for linking again.
 */
export function logout(deps: Pick<InfoDeps, 'transport'>) {
  return async (_req: Request, res: Response): Promise<void> => {
    await deps.transport.logout();
    res.json({ status: 'success', message: 'Logged out: the device was unlinked; scan the new QR at /api/qr to link again' });
  };
}

/** GET `/` and GET `/api/health`: open to everyone. */
export function infoRoutes(deps: InfoDeps): RouteSpec[] {
  return [
    { method: 'GET', path: '/', description: 'Service information', guarded: false, doc: serviceInfoDoc, handlers: [serviceInfo(deps)] },
    { method: 'GET', path: '/api/health', description: 'Health check', guarded: false, doc: healthDoc, handlers: [health(deps)] },
  ];
}
