/**
 * What GET `/`, `/api/health` and `/api/status` answer, as zod schemas for the OpenAPI document,
 * with v2.0.0's examples (and our additions). Linking's routes are in linking-schemas.ts.
 */
import { z } from 'zod';
import { isoTimestamp } from '../openapi/components.js';
import { builtOnFirstUse, type RouteDoc } from '../openapi/route-doc.js';

const FORMAT_KEYS = ['images', 'documents', 'audio', 'video', 'stickers'] as const;
const byFormat = <T extends z.ZodType>(value: T) => z.object(Object.fromEntries(FORMAT_KEYS.map((k) => [k, value])) as Record<(typeof FORMAT_KEYS)[number], T>);
const featureText = z.enum(['✅ Working', '✅ Available', '✅ Enabled', '❌ Disabled']);
const sandboxFlag = z.literal(true).optional().meta({ description: 'Present on a sandbox gateway' });

const v2Formats = {
  images: ['jpg', 'jpeg', 'png', 'gif', 'webp'],
  documents: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'zip', 'rar', '7z'],
  audio: ['mp3', 'wav', 'ogg', 'm4a', 'aac', 'flac'],
  video: ['mp4', 'avi', 'mov', 'mkv', 'webm', '3gp', 'flv'],
  stickers: ['webp'],
};

export const serviceInfoDoc = (): RouteDoc => ({
  tag: 'Service',
  responses: {
    200: {
      description: 'What the gateway is, and what it can do in this configuration',
      schema: z.object({
        service: z.literal('WhatsApp Gateway Production'),
        status: z.literal('running'),
        bot_connected: z.boolean(),
        version: z.string(),
        environment: z.string(),
        sandbox: sandboxFlag,
        notice: z.string().optional(),
        features: z.object(
          Object.fromEntries(
            [
              'text_messages',
              'image_messages',
              'document_messages',
              'audio_messages',
              'video_messages',
              'sticker_messages',
              'webhooks',
              'analytics',
              'rate_limiting',
              'api_auth',
              'media_conversion',
            ].map((k) => [k, featureText]),
          ),
        ),
        supported_formats: byFormat(z.array(z.string())),
        file_size_limits: byFormat(z.string()),
        endpoints: z.array(z.string()).meta({ description: 'Every route this server has: "METHOD /path - description"' }),
        limits: z.object({ max_requests: z.int(), time_window: z.string() }),
        uptime: z.number().meta({ description: 'Seconds' }),
        memory: z.object({ used: z.int(), total: z.int() }).meta({ description: 'Heap, MB' }),
      }),
      examples: {
        v2: {
          summary: "v2.0.0's example",
          value: {
            service: 'WhatsApp Gateway Production',
            status: 'running',
            bot_connected: true,
            version: '2.0.0',
            environment: 'production',
            features: {
              text_messages: '✅ Working',
              image_messages: '✅ Working',
              document_messages: '✅ Working',
              audio_messages: '✅ Available',
              video_messages: '✅ Available',
              sticker_messages: '✅ Available',
              webhooks: '❌ Disabled',
              analytics: '✅ Enabled',
              rate_limiting: '✅ Enabled',
              api_auth: '❌ Disabled',
              media_conversion: '✅ Enabled',
            },
            supported_formats: v2Formats,
            file_size_limits: { images: '16MB', documents: '32MB', audio: '16MB', video: '64MB', stickers: '1MB' },
            endpoints: ['POST /api/send-message - Send text message', 'GET /api/health - Health check'],
            limits: { max_requests: 100, time_window: '3600s' },
            uptime: 1234.56,
            memory: { used: 85, total: 128 },
          },
        },
      },
    },
  },
});

const healthExample = (bot: 'connected' | 'disconnected') => ({
  status: 'ok',
  timestamp: '2025-09-23T13:45:30.123Z',
  uptime: 1234.56,
  environment: 'production',
  services: { whatsapp_bot: bot, api_server: 'running' },
});

export const healthDoc = (): RouteDoc => ({
  tag: 'Service',
  details: 'Always 200 while the process serves, even while it shuts down; the WhatsApp connection is reported, not required.',
  servedWhileDraining: true,
  responses: {
    200: {
      description: 'The process serves',
      schema: z.object({
        status: z.literal('ok'),
        timestamp: isoTimestamp,
        uptime: z.number(),
        environment: z.string(),
        sandbox: sandboxFlag,
        services: z.object({ whatsapp_bot: z.enum(['connected', 'disconnected']), api_server: z.literal('running') }),
      }),
      examples: {
        connected: { summary: 'Bot connected', value: healthExample('connected') },
        disconnected: { summary: 'Bot disconnected', value: healthExample('disconnected') },
      },
    },
  },
});

const CONNECTION_PHASES = [
  'starting',
  'connecting',
  'awaiting_qr',
  'awaiting_pairing_code',
  'open',
  'waiting_to_retry',
  'replaced',
  'logged_out',
  'stopped',
] as const;

// Kept once built: GET /api/sessions/{session} documents the same answer and must name the same schema.
export const botStatusDoc = builtOnFirstUse((): RouteDoc => ({
  tag: 'Service',
  responses: {
    200: {
      description: 'Bot and system status',
      schema: z.object({
        bot_connected: z.boolean(),
        connection_attempts: z.int(),
        max_attempts: z.int(),
        thread_alive: z.boolean().meta({ description: 'True while the connection manager runs (connecting, open or waiting to retry)' }),
        upload_folder: z.string(),
        session_folder: z.string(),
        environment: z.string(),
        sandbox: sandboxFlag,
        features: z.object({
          webhooks: z.boolean(),
          analytics: z.boolean(),
          rate_limiting: z.boolean(),
          api_authentication: z.boolean(),
          media_conversion: z.boolean(),
        }),
        supported_formats: byFormat(z.array(z.string())),
        connection: z.object({
          state: z.enum(CONNECTION_PHASES),
          slow_retry: z.boolean(),
          next_retry_at: isoTimestamp.nullable(),
          last_disconnect: z.object({ code: z.int(), reason: z.string(), at: isoTimestamp }).nullable(),
          account: z.object({ jid: z.string(), lid: z.string().optional() }).nullable(),
        }),
        outbox: z.union([
          z.object({ enabled: z.literal(true), queued: z.int(), in_flight: z.int(), media_mb: z.number() }),
          z.object({ enabled: z.literal(false) }),
        ]),
        webhooks: z
          .union([z.object({ enabled: z.literal(true), pending: z.int(), failed: z.int() }), z.object({ enabled: z.literal(false) })])
          .meta({ description: 'Webhook backlog: deliveries waiting to be (re)tried, and those that gave up' }),
        restriction: z
          .object({
            code: z.int(),
            reason: z.string(),
            since: isoTimestamp,
            until: isoTimestamp,
            until_from_whatsapp: z.boolean(),
            new_contacts_paused: z.literal(true),
          })
          .nullable()
          .meta({ description: 'A restriction WhatsApp put on the account (463), while it lasts: sends to new contacts wait until `until`' }),
        system: z.object({ uptime: z.number(), memory_usage_mb: z.int(), node_version: z.string(), platform: z.string() }),
        message: z.literal('Bot status retrieved'),
      }),
      examples: {
        v2: {
          summary: "v2.0.0's example, with our additions",
          value: {
            bot_connected: true,
            connection_attempts: 0,
            max_attempts: 5,
            thread_alive: true,
            upload_folder: './uploads',
            session_folder: './session',
            environment: 'production',
            features: { webhooks: false, analytics: true, rate_limiting: true, api_authentication: false, media_conversion: true },
            supported_formats: v2Formats,
            connection: { state: 'open', slow_retry: false, next_retry_at: null, last_disconnect: null, account: { jid: '6281234567890@s.whatsapp.net' } },
            outbox: { enabled: false },
            webhooks: { enabled: false },
            restriction: null,
            system: { uptime: 1234.56, memory_usage_mb: 85, node_version: 'v20.11.0', platform: 'linux' },
            message: 'Bot status retrieved',
          },
        },
      },
    },
  },
}));
