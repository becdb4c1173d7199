/**
 * What the session management routes accept and answer (API-EXTENSIONS.md "Sessions"), as zod
 * schemas: the handlers validate with the request schemas, the OpenAPI document is built from all.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { failsWith } from '../http/request-validation.js';
import { isoTimestamp } from '../openapi/components.js';
import { PROXY_URL_FORM, ProxyAddress } from '../proxy/proxy-address.js';
import { SessionErrors } from './session-errors.js';

const nameField = z
  .string({ error: failsWith(() => SessionErrors.invalidName()) })
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { error: failsWith(() => SessionErrors.invalidName()) })
  .meta({ description: 'The session name: 1 to 32 of a-z, 0-9, `_` and `-`, starting with a letter or digit', examples: ['sales'] });

export const sessionParams = z.object({ session: nameField });

const webhookUrlField = z
  .string({ error: failsWith(() => Errors.invalidParameter('webhook_url', 'an http:// or https:// URL')) })
  .trim()
  .regex(/^https?:\/\/\S+$/i, { error: failsWith(() => Errors.invalidParameter('webhook_url', 'an http:// or https:// URL')) })
  .max(2048, { error: failsWith(() => Errors.invalidParameter('webhook_url', 'at most 2048 characters')) })
  .meta({ description: "This session's webhook receiver; without it the session uses WEBHOOK_URL", examples: ['https://crm.example.com/hooks/wa'] });

const webhookSecretField = z
  .string({ error: failsWith(() => Errors.invalidParameter('webhook_secret', 'a string of at least 16 characters')) })
  .min(16, { error: failsWith(() => Errors.invalidParameter('webhook_secret', 'a string of at least 16 characters')) })
  .max(512, { error: failsWith(() => Errors.invalidParameter('webhook_secret', 'at most 512 characters')) })
  .meta({ description: "Signs this session's webhook deliveries (X-Webhook-Signature); required with webhook_url" });

const invalidProxyUrl = failsWith(() => Errors.invalidParameter('proxy_url', PROXY_URL_FORM));

// The error never echoes the value: a proxy URL may hold a password.
const proxyUrlField = z
  .string({ error: invalidProxyUrl })
  .trim()
  .max(2048, { error: invalidProxyUrl })
  .refine((v) => ProxyAddress.parse(v) !== undefined, { error: invalidProxyUrl })
  .meta({
    description:
      "A proxy for this session's WhatsApp traffic: its WebSocket and its media uploads and downloads go through it (webhooks and " +
      '`media_url` fetches go direct). `http://` and `https://` (CONNECT tunnels), `socks5://` (host names resolved by the gateway) ' +
      'or `socks5h://` (resolved by the proxy), with optional `user:password@`. Stored encrypted; never returned or logged with its ' +
      "credentials (GET /api/sessions shows `scheme://host:port`). No private-address check applies: the proxy is the admin's choice. " +
      "Without it the session connects directly (WA_PROXY_URL is the default session's only).",
    examples: ['socks5h://user:pass@proxy.example.com:1080'],
  });

export const createSessionFields = z
  .object({ name: nameField, webhook_url: webhookUrlField.optional(), webhook_secret: webhookSecretField.optional(), proxy_url: proxyUrlField.optional() })
  .refine((b) => b.webhook_url === undefined || b.webhook_secret !== undefined, {
    error: failsWith(() =>
      Errors.invalidParameter('webhook_secret', 'a secret of at least 16 characters with webhook_url (unsigned webhooks could be forged)'),
    ),
  })
  .refine((b) => b.webhook_secret === undefined || b.webhook_url !== undefined, {
    error: failsWith(() => Errors.invalidParameter('webhook_url', 'a URL with webhook_secret')),
  });

const success = <T extends z.ZodType>(message: string, data: T) => z.object({ status: z.literal('success'), message: z.literal(message), data });

export const SESSION_MESSAGES = {
  created: 'Session created: keep its api_key, it is shown only once',
  list: 'Sessions retrieved successfully',
  deleted: 'Session deleted',
} as const;

export const createdSession = success(SESSION_MESSAGES.created, z.object({ name: z.string(), api_key: z.string() }));

export const sessionSummary = z.object({
  name: z.string(),
  connected: z.boolean(),
  state: z.string().meta({ description: "The connection's state, as /api/status reports it (connection.state)" }),
  account: z.object({ jid: z.string(), lid: z.string().optional() }).nullable(),
  webhook: z.enum(['own', 'global', 'none']).meta({ description: 'own: its webhook_url; global: WEBHOOK_URL; none: no webhooks' }),
  proxy: z
    .string()
    .nullable()
    .meta({
      description: 'Its proxy as `scheme://host:port`, without credentials (proxy_url; WA_PROXY_URL for default); null: direct',
      examples: ['socks5h://proxy.example.com:1080'],
    }),
  created_at: isoTimestamp.nullable().meta({ description: 'null for default, which exists from the start' }),
});

export const sessionList = success(SESSION_MESSAGES.list, z.array(sessionSummary));
export const deletedSession = success(SESSION_MESSAGES.deleted, z.object({ name: z.string() }));
