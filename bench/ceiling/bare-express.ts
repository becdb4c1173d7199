/**
 * The HTTP ceiling: a bare Express 5 app doing the same work as the gateway's two cheapest
 * routes, with nothing else (no request log, no request id, no rate limit). POST
 * /api/send-message parses JSON and checks the phone with libphonenumber, answering a bad one
 * with the contract's 400 body; GET /api/status answers a status JSON of the same size.
 * Started as a child process by socket-ceiling.ts; prints its port on stdout.
 */
import express from 'express';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

const app = express();
app.disable('x-powered-by');

app.post('/api/send-message', express.json({ limit: '1mb' }), (req, res) => {
  const phone = (req.body as { phone?: unknown } | undefined)?.phone;
  const digits = typeof phone === 'string' ? phone.replace(/[\s\-.()+]/g, '') : '';
  const parsed = /^[1-9]\d{6,14}$/.test(digits) ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  if (!parsed || !parsed.isPossible()) {
    res.status(400).json({ status: 'error', message: 'Invalid phone number', timestamp: new Date().toISOString(), code: 'INVALID_PHONE' });
    return;
  }
  res.json({ status: 'success' });
});

const started = Date.now();
app.get('/api/status', (_req, res) => {
  res.json({
    bot_connected: true,
    connection_attempts: 0,
    max_attempts: 5,
    thread_alive: true,
    upload_folder: '/srv/gateway/uploads',
    session_folder: '/srv/gateway/session',
    environment: 'production',
    features: { webhooks: false, analytics: true, rate_limiting: true, api_authentication: false, media_conversion: true },
    supported_formats: {
      image: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic'],
      video: ['mp4', 'mov', 'mkv', 'webm', 'avi', '3gp'],
      audio: ['mp3', 'ogg', 'opus', 'm4a', 'wav', 'aac', 'flac'],
      document: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'csv', 'zip'],
      sticker: ['webp', 'png', 'jpg'],
    },
    connection: { state: 'open', slow_retry: false, next_retry_at: null, last_disconnect: null, account: { jid: '6281111111111:1@s.whatsapp.net', lid: null } },
    outbox: { enabled: false },
    system: {
      uptime: `${Math.floor((Date.now() - started) / 1000)}s`,
      memory_usage_mb: Math.round((process.memoryUsage.rss() / 1024 / 1024) * 100) / 100,
      node_version: process.version,
      platform: process.platform,
    },
    message: 'Bot status retrieved',
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
