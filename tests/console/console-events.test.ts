/**
 * GET /console/events: the server-sent events the console listens to. A new QR is announced, never
 * sent (the page loads the image with its cookie); connection changes carry the state.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const KEY = 'console-events-key-0123456789';
let t: TestApp;
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
  await t?.cleanup();
});

/** Opens the stream and collects its text as it arrives. */
async function openStream(headers: Record<string, string>, path = '/console/events'): Promise<{ status: number; contentType?: string; text: () => string }> {
  server = http.createServer(t.app).listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text: () => text });
    });
    req.on('error', reject);
  });
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(predicate()).toBe(true);
}

describe('GET /console/events', () => {
  test('with a console session: the connection at once, then each change; a QR is announced without its value', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const login = await request(t.app).post('/console/session').send({ api_key: KEY }).expect(200);
    const cookie = ([login.headers['set-cookie']].flat()[0] as string).split(';')[0]!;
    t.transport.phase = 'awaiting_qr';
    t.transport.qr = '2@secret-qr-ref,key,key,key';

    const stream = await openStream({ Cookie: cookie });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream');
    await until(() => stream.text().includes('event: connection'));
    expect(stream.text()).toContain('"state":"awaiting_qr"');

    t.transport.events.emit('qr', t.transport.qr);
    await until(() => stream.text().includes('event: qr'));
    t.transport.phase = 'open';
    t.transport.events.emit('connection', t.transport.status());
    await until(() => stream.text().includes('"state":"open"'));
    t.transport.events.emit('message-status', { messageId: 'ABC', jid: '6281234567890@s.whatsapp.net', status: 'delivered' });
    await until(() => stream.text().includes('event: message-status'));
    expect(stream.text()).toContain('"message_id":"ABC","status":"delivered"');
    expect(stream.text()).not.toContain('secret-qr-ref');
  });

  test('refused without a session or key; not a stream for a client that does not ask for one', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    await request(t.app).get('/console/events').set('Accept', 'text/event-stream').expect(401);
    const res = await request(t.app).get('/console/events').set('X-API-Key', KEY).expect(406);
    expect(res.body).toMatchObject({ status: 'error', code: 'NOT_ACCEPTABLE' });
  });

  test('names a session with ?session=: default is the unprefixed stream, an unknown or malformed name is refused', async () => {
    t = await buildTestApp({ API_KEY: KEY });
    const stream = (session: string) => request(t.app).get(`/console/events?session=${session}`).set('X-API-Key', KEY).set('Accept', 'text/event-stream');
    const unknown = await stream('sales').expect(404);
    expect(unknown.body).toMatchObject({ status: 'error', code: 'SESSION_NOT_FOUND', message: 'Session not found' });
    const malformed = await stream('Not..A..Name').expect(400);
    expect(malformed.body).toMatchObject({ status: 'error', code: 'INVALID_SESSION_NAME' });
    const opened = await openStream({ 'X-API-Key': KEY }, '/console/events?session=default');
    expect(opened.status).toBe(200);
    await until(() => opened.text().includes('event: connection'));
  });
});
