import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  test('defaults match the contract', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 5000,
      environment: 'production',
      apiKeys: [],
      rateLimit: { enabled: true, max: 100, windowSeconds: 3600 },
      trustProxy: false,
      defaultCountryCode: '62',
      reconnect: { maxAttempts: 5 },
      sessionDir: './session',
      uploadDir: './uploads',
      waWebSocketUrl: 'wss://web.whatsapp.com/ws/chat',
    });
    expect(c.uploads.video.maxBytes).toBe(64 * 1024 * 1024);
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('reads every key', () => {
    const c = loadConfig({
      PORT: '8080',
      NODE_ENV: 'development',
      API_KEY: 'aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb',
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_MAX: '10',
      RATE_LIMIT_WINDOW: '60',
      TRUST_PROXY: '1',
      DEFAULT_COUNTRY_CODE: '44',
      MAX_RECONNECT_ATTEMPTS: '9',
      SESSION_DIR: '/var/lib/wa/session',
      UPLOAD_DIR: '/var/lib/wa/uploads',
      WA_WS_URL: 'ws://127.0.0.1:9999/ws/chat',
      MAX_IMAGE_SIZE_MB: '5',
      STICKER_EXTENSIONS: 'WEBP',
    });
    expect(c).toMatchObject({
      port: 8080,
      environment: 'development',
      apiKeys: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'],
      rateLimit: { enabled: false, max: 10, windowSeconds: 60 },
      trustProxy: 1,
      defaultCountryCode: '44',
      reconnect: { maxAttempts: 9 },
      sessionDir: '/var/lib/wa/session',
      waWebSocketUrl: 'ws://127.0.0.1:9999/ws/chat',
    });
    expect(c.uploads.image.maxBytes).toBe(5 * 1024 * 1024);
    expect(c.uploads.sticker.extensions).toEqual(['webp']);
  });

  test.each([
    ['true', true],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
    ['false', false],
  ])('TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  test('names every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', RATE_LIMIT_ENABLED: 'maybe', API_KEY: 'short', WA_WS_URL: 'http://x', MAX_VIDEO_SIZE_MB: '-1', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['PORT', 'RATE_LIMIT_ENABLED', 'API_KEY', 'WA_WS_URL', 'MAX_VIDEO_SIZE_MB', 'LOG_LEVEL']) expect(problems).toContain(key);
    expect((error as ConfigError).message).not.toContain('short'); // a rejected key is not echoed
  });

  test('reconnect defaults: a 15 s cap, so the gateway is back within 30 s of WhatsApp', () => {
    expect(loadConfig({}).reconnect).toEqual({ maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 15_000 });
    expect(loadConfig({}).warnings).toEqual([]);
  });

  test('an .env written for the old slow-retry policy still starts, capped at 20 s, and says what changed', () => {
    const c = loadConfig({ MAX_RECONNECT_ATTEMPTS: '5', RECONNECT_BASE_DELAY_MS: '2000', RECONNECT_MAX_DELAY_MS: '60000', RECONNECT_SLOW_INTERVAL: '300' });
    expect(c.reconnect).toEqual({ maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 20_000 });
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings.join('\n')).toMatch(/RECONNECT_MAX_DELAY_MS=60000 is above 20000.*using 20000/);
    expect(c.warnings.join('\n')).toMatch(/RECONNECT_SLOW_INTERVAL is no longer used/);
  });

  test('a first step above the lowered cap is lowered with it', () => {
    const c = loadConfig({ RECONNECT_BASE_DELAY_MS: '30000', RECONNECT_MAX_DELAY_MS: '60000' });
    expect(c.reconnect).toMatchObject({ baseDelayMs: 20_000, maxDelayMs: 20_000 });
    expect(c.warnings.join('\n')).toMatch(/RECONNECT_BASE_DELAY_MS=30000/);
  });

  test('a cap below the first step is still refused', () => {
    expect(() => loadConfig({ RECONNECT_BASE_DELAY_MS: '5000', RECONNECT_MAX_DELAY_MS: '1000' })).toThrow(/RECONNECT_MAX_DELAY_MS: must not be smaller/);
  });

  test('extension lists can be narrowed but not widened', () => {
    expect(() => loadConfig({ IMAGE_EXTENSIONS: 'jpg,bmp' })).toThrow(/IMAGE_EXTENSIONS: bmp not supported/);
  });

  test('cluster mode only with DATABASE_URL; the node id defaults to hostname-pid-random, the lease to 15 s', () => {
    expect(loadConfig({ NODE_ID: 'node-a', LEASE_TTL: '5' }).cluster).toBeNull();
    const url = 'postgres://gw:secret@db:5432/gateway';
    const one = loadConfig({ DATABASE_URL: url }).cluster;
    expect(one).toMatchObject({ databaseUrl: url, leaseTtlMs: 15_000 });
    expect(one?.nodeId).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    expect(loadConfig({ DATABASE_URL: url }).cluster?.nodeId).not.toBe(one?.nodeId);
    expect(loadConfig({ DATABASE_URL: url, NODE_ID: 'node-a', LEASE_TTL: '1.5' }).cluster).toEqual({ databaseUrl: url, nodeId: 'node-a', leaseTtlMs: 1500 });
  });

  test('a bad DATABASE_URL, NODE_ID or LEASE_TTL is named, and the URL (it may hold a password) is not echoed', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://gw:hunter2@db/gateway', NODE_ID: 'a b', LEASE_TTL: '0.1' });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['DATABASE_URL', 'NODE_ID', 'LEASE_TTL']) expect(problems).toContain(key);
    expect(problems).not.toContain('hunter2');
  });
});
