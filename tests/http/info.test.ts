import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
let t: TestApp;
afterEach(() => t?.cleanup());

describe('GET /', () => {
  test('describes the service with the v2.0.0 fields', async () => {
    t = await buildTestApp({ NODE_ENV: 'production' });
    const res = await request(t.app).get('/').expect(200);
    expect(res.body).toMatchObject({
      service: 'WhatsApp Gateway Production',
      status: 'running',
      bot_connected: true,
      version: '2.0.0',
      environment: 'production',
      supported_formats: {
        images: ['jpg', 'jpeg', 'png', 'gif', 'webp'],
        documents: ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'zip', 'rar', '7z'],
        audio: ['mp3', 'wav', 'ogg', 'm4a', 'aac', 'flac'],
        video: ['mp4', 'avi', 'mov', 'mkv', 'webm', '3gp', 'flv'],
        stickers: ['webp'],
      },
      file_size_limits: { images: '16MB', documents: '32MB', audio: '16MB', video: '64MB', stickers: '1MB' },
      limits: { max_requests: 100, time_window: '3600s' },
    });
    expect(typeof res.body.uptime).toBe('number');
    expect(res.body.memory).toEqual({ used: expect.any(Number), total: expect.any(Number) });
    expect(res.body.features).toMatchObject({
      text_messages: '✅ Working',
      image_messages: '✅ Working',
      document_messages: '✅ Working',
      audio_messages: '✅ Available',
      video_messages: '✅ Available',
      sticker_messages: '✅ Available',
      webhooks: '❌ Disabled',
    });
  });

  test('feature flags follow the running configuration', async () => {
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'false' });
    let res = await request(t.app).get('/').expect(200);
    expect(res.body.features.rate_limiting).toBe('❌ Disabled');
    expect(res.body.features.api_auth).toBe('❌ Disabled');
    await t.cleanup();
    t = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', API_KEY: 'k'.repeat(32), RATE_LIMIT_MAX: '7', RATE_LIMIT_WINDOW: '60' });
    res = await request(t.app).get('/').expect(200);
    expect(res.body.features.rate_limiting).toBe('✅ Enabled');
    expect(res.body.features.api_auth).toBe('✅ Enabled');
    expect(res.body.limits).toEqual({ max_requests: 7, time_window: '60s' });
  });

  test('media kinds whose tools are missing are reported disabled', async () => {
    t = await buildTestApp();
    const { createApp } = await import('../../src/app.js');
    const { pino } = await import('pino');
    const app = createApp({
      config: t.config,
      transport: t.transport,
      services: t.services,
      media: { conversion: false, ffmpeg: false, sharp: true },
      sendable: { image: true, sticker: true, audio: false, video: false, document: true },
      logger: pino({ level: 'silent' }),
    });
    const res = await request(app).get('/').expect(200);
    expect(res.body.features).toMatchObject({
      image_messages: '✅ Working',
      audio_messages: '❌ Disabled',
      video_messages: '❌ Disabled',
      sticker_messages: '✅ Available',
      media_conversion: '❌ Disabled',
    });
  });

  test('/api/health stays 200 while the server drains for shutdown; other routes get 503', async () => {
    t = await buildTestApp();
    const { createApp } = await import('../../src/app.js');
    const { pino } = await import('pino');
    const app = createApp({
      config: t.config,
      transport: t.transport,
      services: t.services,
      media: { conversion: false, ffmpeg: false, sharp: false },
      logger: pino({ level: 'silent' }),
      isShuttingDown: () => true,
    });
    await request(app).get('/api/health').expect(200);
    const res = await request(app).get('/api/status').expect(503);
    expect(res.body.code).toBe('SHUTTING_DOWN');
    // The drain's refusal is decided by the request context (src/http/request-context.ts, `gate`):
    // the answer still carries the request id, and closes the connection.
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.connection).toBe('close');
  });

  test('every answer of a sandbox gateway says so, errors included, after its request id', async () => {
    t = await buildTestApp();
    const { createApp } = await import('../../src/app.js');
    const { pino } = await import('pino');
    const app = createApp({
      config: { ...t.config, sandbox: true },
      transport: t.transport,
      services: t.services,
      media: { conversion: false, ffmpeg: false, sharp: false },
      logger: pino({ level: 'silent' }),
    });
    for (const res of [await request(app).get('/api/health').expect(200), await request(app).get('/no/such/route').expect(404)]) {
      expect(res.headers['x-gateway-mode']).toBe('sandbox');
      const names = Object.keys(res.headers);
      expect(names.indexOf('x-gateway-mode')).toBe(names.indexOf('x-request-id') + 1);
    }
  });

  test('lists exactly the routes the server answers', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    const endpoints: string[] = res.body.endpoints;
    expect(endpoints).toEqual(
      expect.arrayContaining([
        'POST /api/send-message - Send text message',
        'POST /api/send-image - Send image with caption',
        'POST /api/send-document - Send document with caption',
        'POST /api/send-audio - Send audio file',
        'POST /api/send-video - Send video with caption',
        'POST /api/send-sticker - Send WebP sticker',
        'GET /api/status - Bot status',
        'GET /api/health - Health check',
      ]),
    );
    for (const line of endpoints) {
      const [method, path] = line.split(' ') as [string, string];
      const res2 = await request(t.app)[method.toLowerCase() as 'get' | 'post'](path.replace(/:\w+/g, 'some-id'));
      expect(res2.body.message).not.toBe('Endpoint not found');
    }
  });

  test('size limits and lists come from configuration', async () => {
    t = await buildTestApp({ MAX_STICKER_SIZE_MB: '0.5', VIDEO_EXTENSIONS: 'mp4,webm' });
    const res = await request(t.app).get('/').expect(200);
    expect(res.body.file_size_limits.stickers).toBe('512KB');
    expect(res.body.supported_formats.video).toEqual(['mp4', 'webm']);
  });
});

describe('GET /api/health', () => {
  test('is 200 with connected or disconnected bot', async () => {
    t = await buildTestApp({ NODE_ENV: 'development' });
    let res = await request(t.app).get('/api/health').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      timestamp: expect.stringMatching(ISO),
      uptime: expect.any(Number),
      environment: 'development',
      services: { whatsapp_bot: 'connected', api_server: 'running' },
    });
    t.transport.phase = 'waiting_to_retry';
    res = await request(t.app).get('/api/health').expect(200);
    expect(res.body.services.whatsapp_bot).toBe('disconnected');
  });
});

describe('GET /api/status', () => {
  test('reports bot and system status', async () => {
    t = await buildTestApp({ SESSION_DIR: './session' });
    t.transport.phase = 'waiting_to_retry';
    t.transport.connectionAttempts = 3;
    const res = await request(t.app).get('/api/status').expect(200);
    expect(res.body).toMatchObject({
      bot_connected: false,
      connection_attempts: 3,
      max_attempts: 5,
      thread_alive: true,
      upload_folder: t.uploadDir,
      session_folder: './session',
      environment: 'production',
      features: { webhooks: false, analytics: true, rate_limiting: false, api_authentication: false },
      system: { uptime: expect.any(Number), memory_usage_mb: expect.any(Number), node_version: process.version, platform: process.platform },
      message: 'Bot status retrieved',
    });
    expect(res.body.supported_formats.stickers).toEqual(['webp']);
    expect(res.body.connection.state).toBe('waiting_to_retry');
    expect(res.body.outbox).toEqual({ enabled: false });
  });

  test('thread_alive is false once the connection was replaced', async () => {
    t = await buildTestApp();
    t.transport.phase = 'replaced';
    const res = await request(t.app).get('/api/status').expect(200);
    expect(res.body.thread_alive).toBe(false);
    expect(res.body.connection.state).toBe('replaced');
  });
});

describe('unknown routes', () => {
  test.each([
    ['get', '/nope'],
    ['get', '/api/send-message'],
    ['post', '/api/status'],
    ['delete', '/api/qr'],
  ] as const)('%s %s is a JSON 404', async (method, path) => {
    t = await buildTestApp();
    const res = await request(t.app)[method](path).expect(404);
    expect(res.body).toEqual({ status: 'error', message: 'Endpoint not found', timestamp: expect.stringMatching(ISO), code: 'NOT_FOUND' });
  });
});

describe('POST /api/logout', () => {
  test('unlinks through the transport', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/logout').expect(200);
    expect(res.body.status).toBe('success');
    expect(t.transport.phase).toBe('connecting');
  });
});
