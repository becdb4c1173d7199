/**
 * Configuration: read once from the environment at start, validated, frozen. A bad value stops the
 * process with one message naming every problem (see loadConfig). Every key is documented in
 * .env.example with its default.
 */
import { MEDIA_KINDS, type MediaKind } from '../domain/vocabulary.js';
import { z } from 'zod';
import { DEFAULT_UPLOAD_POLICIES, type UploadPolicies, type UploadPolicy } from '../messaging/upload-policy.js';
import { clusterFields, clusterSettings, type ClusterConfig } from './cluster-fields.js';
import { boolean, extensionList, integer, list, megabytes, seconds, text, url } from './env-fields.js';
import { proxyUrl, trustProxy } from './proxy-fields.js';
import { reconnectFields, reconnectProblems, reconnectSettings, type ReconnectConfig } from './reconnect-fields.js';
import type { ProxyAddress } from '../proxy/proxy-address.js';

const envSchema = z.object({
  PORT: integer(5000, 1, 65535),
  HOST: text('0.0.0.0'),
  NODE_ENV: text('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  BAILEYS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('warn'),
  API_KEY: list.refine((keys) => keys.every((k) => k.length >= 16), {
    message: 'every key must be at least 16 characters (generate one with: openssl rand -hex 32)',
  }),
  RATE_LIMIT_ENABLED: boolean(true),
  RATE_LIMIT_MAX: integer(100, 1, 1_000_000),
  RATE_LIMIT_WINDOW: integer(3600, 1, 31 * 24 * 3600),
  TRUST_PROXY: trustProxy,
  DEFAULT_COUNTRY_CODE: text('62').refine((v) => /^[1-9]\d{0,3}$/.test(v), {
    message: 'expected a country calling code of 1 to 4 digits without + (e.g. 62)',
  }),
  ...reconnectFields,
  SESSION_DIR: text('./session'),
  UPLOAD_DIR: text('./uploads'),
  DATA_DIR: text('./data'),
  WA_WS_URL: url('wss://web.whatsapp.com/ws/chat', ['wss:', 'ws:']),
  WA_QUERY_TIMEOUT_MS: integer(60_000, 1000, 600_000),
  WA_PROXY_URL: proxyUrl,
  SHUTDOWN_TIMEOUT: integer(15, 1, 600),
  KEEP_ALIVE_TIMEOUT: integer(125, 1, 3600),
  MAX_IMAGE_SIZE_MB: megabytes(16),
  MAX_DOCUMENT_SIZE_MB: megabytes(32),
  MAX_AUDIO_SIZE_MB: megabytes(16),
  MAX_VIDEO_SIZE_MB: megabytes(64),
  MAX_STICKER_SIZE_MB: megabytes(1),
  IMAGE_EXTENSIONS: extensionList,
  DOCUMENT_EXTENSIONS: extensionList,
  AUDIO_EXTENSIONS: extensionList,
  VIDEO_EXTENSIONS: extensionList,
  STICKER_EXTENSIONS: extensionList,
  QUEUE_WHEN_DISCONNECTED: boolean(false),
  OUTBOX_MAX_MESSAGES: integer(10_000, 1, 10_000_000),
  OUTBOX_MAX_MB: megabytes(1024),
  PACING_RECIPIENT_INTERVAL_MS: integer(1000, 0, 3_600_000),
  PACING_MAX_PER_MINUTE: integer(60, 0, 100_000),
  WEBHOOK_URL: list.refine((urls) => urls.every((u) => /^https?:\/\/\S+$/i.test(u)), { message: 'every URL must start with http:// or https://' }),
  WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim()),
  WEBHOOK_TIMEOUT: integer(10, 1, 300),
  WEBHOOK_MAX_ATTEMPTS: integer(12, 1, 100),
  WEBHOOK_BACKOFF_BASE_MS: integer(5000, 10, 3_600_000),
  MESSAGE_RETENTION_DAYS: integer(90, 0, 36_500),
  SEND_ACK_TIMEOUT: seconds(15, 0.1, 600),
  GROUP_METADATA_TTL: seconds(300, 0, 86_400),
  MESSAGE_CONTENT_RETENTION: integer(7, 1, 365),
  MESSAGE_CONTENT_KEY: z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .refine((v) => v === '' || v.length >= 16, {
      message: 'at least 16 characters (generate one with: openssl rand -hex 32), or unset to use DATA_DIR/content.key',
    }),
  INCOMING_RETENTION: integer(30, 1, 365),
  PUBLIC_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(/\/+$/, '') : '')),
  MEDIA_CONVERSION_CONCURRENCY: integer(2, 1, 64),
  MEDIA_CONVERSION_TIMEOUT: integer(120, 1, 3600),
  CONSOLE_SESSION_HOURS: integer(12, 1, 720),
  MEDIA_URL_ALLOW_PRIVATE: boolean(false),
  MEDIA_URL_TIMEOUT: integer(30, 1, 600),
  CHECK_NUMBER_CACHE_TTL: integer(86_400, 0, 30 * 86_400),
  CHECK_NUMBER_NEGATIVE_CACHE_TTL: integer(3600, 0, 30 * 86_400),
  ...clusterFields,
});

/** Every environment key the gateway reads (each documented in .env.example). */
export const CONFIG_KEYS: readonly string[] = Object.keys(envSchema.shape);

export interface Config {
  port: number;
  host: string;
  environment: string;
  logLevel: string;
  baileysLogLevel: string;
  apiKeys: readonly string[];
  rateLimit: { enabled: boolean; max: number; windowSeconds: number };
  trustProxy: boolean | number | string[];
  defaultCountryCode: string;
  reconnect: ReconnectConfig;
  sessionDir: string;
  uploadDir: string;
  dataDir: string;
  waWebSocketUrl: string;
  waQueryTimeoutMs: number;
  /** The default session's proxy for its WebSocket and media (WA_PROXY_URL); other sessions have their own proxy_url. */
  waProxy: ProxyAddress | null;
  shutdownTimeoutMs: number;
  /** How long an idle client connection stays open (HTTP keep-alive) before the gateway closes it. */
  keepAliveTimeoutMs: number;
  uploads: UploadPolicies;
  mediaConversion: { concurrency: number; timeoutMs: number };
  /** Media sent by URL: fetch from private/local addresses too (SSRF guard off), and the time limit per fetch. */
  mediaUrl: { allowPrivate: boolean; timeoutMs: number };
  outbox: { enabled: boolean; maxMessages: number; maxBytes: number };
  pacing: { perRecipientIntervalMs: number; perMinuteLimit: number };
  webhooks: { urls: readonly string[]; secret: string; timeoutMs: number; maxAttempts: number; backoffBaseMs: number };
  /** Message records older than this are deleted (0 = kept forever). */
  messageRetentionDays: number;
  /** How long a send waits for WhatsApp's server ack before its outcome is unknown. */
  sendAckTimeoutMs: number;
  /** How long group metadata is cached between group events (0: not cached). */
  groupMetadataTtlMs: number;
  /** Days the content of sent messages is kept to answer retry receipts. */
  messageContentRetentionDays: number;
  /** Secret the sent content's encryption key is derived from; empty = a random key in DATA_DIR/content.key. */
  messageContentKey: string;
  /** Days received messages are kept: listed, quotable, their media downloadable. */
  incomingRetentionDays: number;
  /** How clients reach this gateway (for links in webhook events); empty = relative links. */
  publicUrl: string;
  /** How long an operator console login (session cookie) lasts. */
  consoleSessionMs: number;
  /** How long POST /api/check-number keeps WhatsApp's answer: numbers on WhatsApp, and numbers not (0 = not kept). */
  numberCheck: { positiveTtlMs: number; negativeTtlMs: number };
  /** Several nodes on one PostgreSQL (DATABASE_URL), each session driven by the node holding its lease; null = one node. */
  cluster: ClusterConfig | null;
  /** Set only by the sandbox entry point: an in-process emulator stands in for WhatsApp. */
  sandbox: boolean;
  /** Values that were accepted but changed or ignored (deprecated keys, lowered limits); logged at start. */
  warnings: readonly string[];
}

/** Keys that were once read and are now ignored: still accepted, so an old .env starts, with a warning. */
const DEPRECATED_KEYS: Record<string, string> = {
  RECONNECT_SLOW_INTERVAL:
    'RECONNECT_SLOW_INTERVAL is no longer used and can be removed: the gateway never slows down; it retries every RECONNECT_MAX_DELAY_MS at most, for as long as WhatsApp is unreachable',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SIZE_KEYS: Record<MediaKind, keyof z.infer<typeof envSchema>> = {
  image: 'MAX_IMAGE_SIZE_MB',
  document: 'MAX_DOCUMENT_SIZE_MB',
  audio: 'MAX_AUDIO_SIZE_MB',
  video: 'MAX_VIDEO_SIZE_MB',
  sticker: 'MAX_STICKER_SIZE_MB',
};
const EXTENSION_KEYS: Record<MediaKind, keyof z.infer<typeof envSchema>> = {
  image: 'IMAGE_EXTENSIONS',
  document: 'DOCUMENT_EXTENSIONS',
  audio: 'AUDIO_EXTENSIONS',
  video: 'VIDEO_EXTENSIONS',
  sticker: 'STICKER_EXTENSIONS',
};

const rawList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^\./, '').toLowerCase())
    .filter(Boolean);

function crossKeyProblems(env: NodeJS.ProcessEnv): string[] {
  const problems = reconnectProblems(env);
  for (const kind of MEDIA_KINDS) {
    const key = EXTENSION_KEYS[kind];
    const unknown = rawList(env[key]).filter((x) => !DEFAULT_UPLOAD_POLICIES[kind].extensions.includes(x));
    // Extensions can be narrowed, not widened: the content checks and conversions only know these.
    if (unknown.length > 0) {
      problems.push(`${key}: ${unknown.join(', ')} not supported for ${kind}; choose from ${DEFAULT_UPLOAD_POLICIES[kind].extensions.join(', ')}`);
    }
  }
  const webhookUrls = rawList(env.WEBHOOK_URL);
  if (webhookUrls.length > 0 && (env.WEBHOOK_SECRET ?? '').trim().length < 16) {
    // Unsigned webhooks would let anyone forge events to the receiver; there is no default secret.
    problems.push('WEBHOOK_SECRET: required (at least 16 characters) when WEBHOOK_URL is set; generate one with: openssl rand -hex 32');
  }
  return problems;
}

/** Validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  // Rules across keys are checked on the raw values too, so one run names every problem.
  const problems = crossKeyProblems(env);
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`), ...problems]);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const warnings = Object.entries(DEPRECATED_KEYS)
    .filter(([key]) => (env[key] ?? '').trim() !== '')
    .map(([, message]) => message);
  const reconnect = reconnectSettings(e, warnings);
  const uploads = Object.fromEntries(
    MEDIA_KINDS.map((kind): [MediaKind, UploadPolicy] => {
      const exts = e[EXTENSION_KEYS[kind]] as string[];
      return [
        kind,
        {
          ...DEFAULT_UPLOAD_POLICIES[kind],
          maxBytes: e[SIZE_KEYS[kind]] as number,
          extensions: exts.length > 0 ? exts : DEFAULT_UPLOAD_POLICIES[kind].extensions,
        },
      ];
    }),
  ) as Record<MediaKind, UploadPolicy>;

  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    environment: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    baileysLogLevel: e.BAILEYS_LOG_LEVEL,
    apiKeys: Object.freeze([...e.API_KEY]),
    rateLimit: { enabled: e.RATE_LIMIT_ENABLED, max: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW },
    trustProxy: e.TRUST_PROXY,
    defaultCountryCode: e.DEFAULT_COUNTRY_CODE,
    reconnect,
    // Kept as given for /api/status (v2.0.0 shows "./uploads"), resolved where files are touched.
    sessionDir: e.SESSION_DIR,
    uploadDir: e.UPLOAD_DIR,
    dataDir: e.DATA_DIR,
    waWebSocketUrl: e.WA_WS_URL,
    waQueryTimeoutMs: e.WA_QUERY_TIMEOUT_MS,
    waProxy: e.WA_PROXY_URL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT * 1000,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT * 1000,
    uploads: Object.freeze(uploads),
    mediaConversion: { concurrency: e.MEDIA_CONVERSION_CONCURRENCY, timeoutMs: e.MEDIA_CONVERSION_TIMEOUT * 1000 },
    mediaUrl: { allowPrivate: e.MEDIA_URL_ALLOW_PRIVATE, timeoutMs: e.MEDIA_URL_TIMEOUT * 1000 },
    outbox: { enabled: e.QUEUE_WHEN_DISCONNECTED, maxMessages: e.OUTBOX_MAX_MESSAGES, maxBytes: e.OUTBOX_MAX_MB },
    pacing: { perRecipientIntervalMs: e.PACING_RECIPIENT_INTERVAL_MS, perMinuteLimit: e.PACING_MAX_PER_MINUTE },
    webhooks: {
      urls: Object.freeze([...e.WEBHOOK_URL]),
      secret: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT * 1000,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
    },
    messageRetentionDays: e.MESSAGE_RETENTION_DAYS,
    sendAckTimeoutMs: e.SEND_ACK_TIMEOUT,
    groupMetadataTtlMs: e.GROUP_METADATA_TTL,
    messageContentRetentionDays: e.MESSAGE_CONTENT_RETENTION,
    messageContentKey: e.MESSAGE_CONTENT_KEY,
    incomingRetentionDays: e.INCOMING_RETENTION,
    publicUrl: e.PUBLIC_URL,
    consoleSessionMs: e.CONSOLE_SESSION_HOURS * 3600 * 1000,
    numberCheck: { positiveTtlMs: e.CHECK_NUMBER_CACHE_TTL * 1000, negativeTtlMs: e.CHECK_NUMBER_NEGATIVE_CACHE_TTL * 1000 },
    cluster: clusterSettings(e),
    sandbox: false,
    warnings: Object.freeze(warnings),
  });
}
