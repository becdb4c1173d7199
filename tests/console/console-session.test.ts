/**
 * The console's login, session cookie and CSRF rule, through the real app over HTTP: what a browser
 * gets back, what the API accepts with the cookie, and what it refuses.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SESSION_COOKIE } from '../../src/console/session-cookie.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const KEY = 'console-session-key-0123456789';
let t: TestApp;
afterEach(() => t?.cleanup());

function sessionCookie(setCookie: string[] | string | undefined): string {
  const header = [setCookie ?? []].flat().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!header) throw new Error('no session cookie was set');
  return header;
}

async function logIn(app: TestApp['app'], headers: Record<string, string> = {}) {
  const res = await request(app).post('/console/session').set(headers).send({ api_key: KEY }).expect(200);
  const setCookie = sessionCookie(res.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  return { setCookie, cookie, csrf: (res.body as { data: { csrf_token: string } }).data.csrf_token };
}

describe('console login', () => {
  test('GET /console serves the page with a strict content security policy, and its assets', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const page = await request(t.app)
      .get('/console')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('/console/assets/console.js');
    for (const asset of ['console.js', 'api.js', 'link-page.js', 'console.css']) {
      await request(t.app).get(`/console/assets/${asset}`).expect(200);
    }
    await request(t.app).get('/console/assets/..%2Fconsole-routes.ts').expect(404);
    await request(t.app).get('/console/assets/missing.js').expect(404);
  });

  test('the console and the reference page are revalidated by ETag; API answers carry none', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    for (const path of ['/console', '/console/assets/console.js', '/docs', '/api/openapi.json']) {
      const first = await request(t.app).get(path).expect(200);
      const etag = first.headers.etag;
      expect(etag).toMatch(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
      await request(t.app).get(path).set('If-None-Match', etag!).expect(304);
    }
    const health = await request(t.app).get('/api/health').expect(200);
    expect(health.headers.etag).toBeUndefined();
  });

  test('a wrong key is refused in the contract format and sets no cookie', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    for (const body of [{ api_key: 'wrong-key-but-long-enough' }, { api_key: KEY.slice(0, -1) }, {}, { api_key: [KEY] }]) {
      const res = await request(t.app).post('/console/session').send(body).expect(401);
      expect(res.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED', message: 'Unauthorized: Invalid or missing API key' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  test('the right key gets an HttpOnly, SameSite=Strict cookie for CONSOLE_SESSION_HOURS, not Secure over plain HTTP', async () => {
    t = await buildTestApp({ API_KEY: KEY, CONSOLE_SESSION_HOURS: '2' });
    const { setCookie, cookie, csrf } = await logIn(t.app);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=7200/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(KEY);
    expect(cookie.split('=')[1]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const session = await request(t.app).get('/console/session').set('Cookie', cookie).expect(200);
    expect(session.body.data).toMatchObject({ auth_required: true, authenticated: true, csrf_token: csrf });
  });

  test('the cookie is Secure behind a trusted HTTPS proxy, and only then', async () => {
    t = await buildTestApp({ API_KEY: KEY, TRUST_PROXY: 'loopback' });
    expect((await logIn(t.app, { 'X-Forwarded-Proto': 'https' })).setCookie).toMatch(/; Secure/);
    expect((await logIn(t.app)).setCookie).not.toMatch(/Secure/);
    await t.cleanup();

    // Without TRUST_PROXY the header is anyone's to send: it does not count.
    t = await buildTestApp({ API_KEY: KEY });
    expect((await logIn(t.app, { 'X-Forwarded-Proto': 'https' })).setCookie).not.toMatch(/Secure/);
  });
});

describe('the session cookie on the API', () => {
  test('stands in for the key on reads; without it the API is 401', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const { cookie } = await logIn(t.app);
    await request(t.app).get('/api/status').set('Cookie', cookie).expect(200);
    await request(t.app).get('/api/messages').set('Cookie', cookie).expect(200);
    await request(t.app).get('/console/events').expect(401);
    const res = await request(t.app).get('/api/status').expect(401);
    expect(res.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' });
    await request(t.app).get('/api/status').set('Cookie', `${SESSION_COOKIE}=forged-session-id`).expect(401);
  });

  test('a state-changing call needs the session CSRF token: missing or wrong is 403, nothing sent', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const { cookie, csrf } = await logIn(t.app);
    const other = await logIn(t.app);
    const body = { phone: '6281234567890', message: 'hi' };
    for (const token of [undefined, 'wrong-token', other.csrf]) {
      const req = request(t.app).post('/api/send-message').set('Cookie', cookie);
      if (token) req.set('X-CSRF-Token', token);
      const res = await req.send(body).expect(403);
      expect(res.body).toMatchObject({ status: 'error', code: 'CSRF_TOKEN_INVALID', message: 'Forbidden: missing or invalid CSRF token' });
      expect(typeof res.body.timestamp).toBe('string');
    }
    await request(t.app).post('/api/logout').set('Cookie', cookie).expect(403);
    expect(t.transport.sent).toHaveLength(0);

    const sent = await request(t.app).post('/api/send-message').set('Cookie', cookie).set('X-CSRF-Token', csrf).send(body).expect(200);
    expect(sent.body).toMatchObject({ status: 'success', message: 'Text message sent successfully' });
    expect(t.transport.sent).toHaveLength(1);
  });

  test('an API key in a header still works alongside, with no CSRF token (headers cannot be forged cross-site)', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    await request(t.app).post('/api/send-message').set('X-API-Key', KEY).send({ phone: '6281234567890', message: 'hi' }).expect(200);
  });

  test('console logout needs the token, clears the cookie and ends the session on the server', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const { cookie, csrf } = await logIn(t.app);
    await request(t.app).delete('/console/session').set('Cookie', cookie).expect(403);
    await request(t.app).get('/api/status').set('Cookie', cookie).expect(200);

    const res = await request(t.app).delete('/console/session').set('Cookie', cookie).set('X-CSRF-Token', csrf).expect(200);
    expect(sessionCookie(res.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    await request(t.app).get('/api/status').set('Cookie', cookie).expect(401);
    const session = await request(t.app).get('/console/session').set('Cookie', cookie).expect(200);
    expect(session.body.data).toMatchObject({ authenticated: false, csrf_token: null });
  });

  test('requests with a live session are not counted by the API rate limit; others are', async () => {
    t = await buildTestApp({ API_KEY: KEY, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '3' });
    const { cookie } = await logIn(t.app);
    for (let i = 0; i < 6; i++) await request(t.app).get('/api/status').set('Cookie', cookie).expect(200);
    for (let i = 0; i < 3; i++) await request(t.app).get('/api/status').set('X-API-Key', KEY).expect(200);
    await request(t.app).get('/api/status').set('X-API-Key', KEY).expect(429);
  });
});

describe('console without an API key', () => {
  test('says it is open, needs no login, and sets no cookie', async () => {
    t = await buildTestApp();
    const session = await request(t.app).get('/console/session').expect(200);
    expect(session.body.data).toMatchObject({ auth_required: false, authenticated: true, csrf_token: null });
    const login = await request(t.app).post('/console/session').send({ api_key: 'anything' }).expect(200);
    expect(login.headers['set-cookie']).toBeUndefined();
    const page = await request(t.app).get('/console').expect(200);
    expect(page.text).toContain('id="open-banner"');
    await request(t.app).get('/api/status').expect(200);
  });
});
