/**
 * What the session management routes accept and answer (API-EXTENSIONS.md "Sessions"), as zod
 * schemas: the handlers validate with the request schemas, the OpenAPI document is built from all.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { failsWith } from '../http/request-validation.js';
import { isoTimestamp } from '../openapi/components.js';
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

export const createSessionFields = z
  .object({ name: nameField, webhook_url: webhookUrlField.optional(), webhook_secret: webhookSecretField.optional() })
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
  created_at: isoTimestamp.nullable().meta({ description: 'null for default, which exists from the start' }),
});

export const sessionList = success(SESSION_MESSAGES.list, z.array(sessionSummary));
export const deletedSession = success(SESSION_MESSAGES.deleted, z.object({ name: z.string() }));
