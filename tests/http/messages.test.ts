/** Message records, delivery statuses driven by transport events, analytics and webhooks. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { fetchDocument, schemaValidator } from '../support/openapi.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let t: TestApp;
let receiver: http.Server | undefined;
afterEach(async () => {
  await t?.cleanup();
  if (receiver) {
    receiver.closeAllConnections();
    await new Promise((r) => receiver!.close(r));
    receiver = undefined;
  }
});

const send = (message: string, phone = '6281234567890') => request(t.app).post('/api/send-message').send({ phone, message }).expect(200);

describe('message records', () => {
  test('status follows receipts and never goes backwards', async () => {
    t = await buildTestApp();
    const { body } = await send('hello');
    const { id, message_id } = body.data;
    const record = async () => (await request(t.app).get(`/api/messages/${id}`).expect(200)).body.data;
    expect(await record()).toMatchObject({ status: 'sent', phone: '6281234567890', type: 'text', summary: 'hello' });

    t.transport.events.emit('message-status', { messageId: message_id, jid: '6281234567890@s.whatsapp.net', status: 'delivered' });
    await until(async () => (await record()).status === 'delivered');
    t.transport.events.emit('message-status', { messageId: message_id, jid: '6281234567890@s.whatsapp.net', status: 'read' });
    await until(async () => (await record()).status === 'read');
    t.transport.events.emit('message-status', { messageId: message_id, jid: '6281234567890@s.whatsapp.net', status: 'delivered' });
    await new Promise((r) => setTimeout(r, 50));
    const final = await record();
    expect(final.status).toBe('read');
    expect(final.status_timestamps).toMatchObject({ sent: expect.any(String), delivered: expect.any(String), read: expect.any(String), failed: null });
    // Also found by the WhatsApp id.
    expect((await request(t.app).get(`/api/messages/${message_id}`).expect(200)).body.data.id).toBe(id);
  });

  test('a failed send is recorded as failed with its reason', async () => {
    t = await buildTestApp();
    t.transport.nextFailure = new Error('not on WhatsApp');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'x' }).expect(500);
    const list = await request(t.app).get('/api/messages?status=failed').expect(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ status: 'failed', error: 'not on WhatsApp' });
  });

  test('lists newest first with filters and cursor pagination', async () => {
    t = await buildTestApp();
    for (let i = 1; i <= 5; i++) await send(`m${i}`, i % 2 ? '6281234567890' : '6289876543210');
    const page1 = await request(t.app).get('/api/messages?limit=2').expect(200);
    expect(page1.body.data.map((m: { summary: string }) => m.summary)).toEqual(['m5', 'm4']);
    expect(page1.body.total).toBe(5);
    const page2 = await request(t.app).get(`/api/messages?limit=2&cursor=${page1.body.next_cursor}`).expect(200);
    expect(page2.body.data.map((m: { summary: string }) => m.summary)).toEqual(['m3', 'm2']);
    const byPhone = await request(t.app).get('/api/messages?phone=6289876543210').expect(200);
    expect(byPhone.body.total).toBe(2);
    // The same number formats as a send.
    const local = await request(t.app).get('/api/messages?phone=0898-7654-3210').expect(200);
    expect(local.body.total).toBe(2);
  });

  test.each([
    ['status=lost', 'status'],
    ['type=fax', 'type'],
    ['limit=0', 'limit'],
    ['from=yesterday', 'from'],
    ['cursor=%%%', 'cursor'],
  ])('a bad query (%s) is a 400 naming %s', async (query, name) => {
    t = await buildTestApp();
    const res = await request(t.app).get(`/api/messages?${query}`).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'INVALID_PARAMETER' });
    expect(res.body.message).toContain(name);
  });

  test('an unknown id is a 404', async () => {
    t = await buildTestApp();
    const res = await request(t.app).get('/api/messages/nope').expect(404);
    expect(res.body).toMatchObject({ status: 'error', message: 'Message not found' });
  });
});

describe('GET /api/analytics', () => {
  test('counts by type and status over a time range', async () => {
    t = await buildTestApp();
    const before = new Date(Date.now() - 1000).toISOString();
    await send('a');
    await send('b');
    t.transport.nextFailure = new Error('boom');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'c' }).expect(500);
    const res = await request(t.app).get(`/api/analytics?from=${before}`).expect(200);
    expect(res.body.data).toMatchObject({ total: 3, by_type: { text: 3 }, by_status: { sent: 2, failed: 1 } });
    const empty = await request(t.app).get(`/api/analytics?to=${before}`).expect(200);
    expect(empty.body.data.total).toBe(0);
  });
});

describe('webhooks', () => {
  test('status changes reach a receiver signed, and the delivery log shows them', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const secret = 'webhook-secret-0123456789';
    t = await buildTestApp({ WEBHOOK_URL: url, WEBHOOK_SECRET: secret });
    expect((await request(t.app).get('/').expect(200)).body.features.webhooks).toBe('✅ Enabled');

    const { body } = await send('track me');
    t.transport.events.emit('message-status', { messageId: body.data.message_id, jid: '6281234567890@s.whatsapp.net', status: 'delivered' });
    await until(() => received.some((r) => r.body.includes('"message.status"') && r.body.includes('"delivered"')));
    // The gateway's own "sent", and WhatsApp's receipt (deliveries run in parallel: any order).
    expect(
      received
        .filter((r) => r.body.includes('"message.status"'))
        .map((r) => JSON.parse(r.body).data.status)
        .sort(),
    ).toEqual(['delivered', 'sent']);
    const hit = received.find((r) => r.body.includes('"delivered"'))!;
    const verdict = verifyWebhookSignature(
      secret,
      { timestamp: hit.headers['x-webhook-timestamp'] as string, signature: hit.headers['x-webhook-signature'] as string },
      hit.body,
    );
    expect(verdict).toEqual({ valid: true });
    expect(JSON.parse(hit.body)).toMatchObject({
      event: 'message.status',
      data: { id: body.data.id, message_id: body.data.message_id, status: 'delivered', phone: '6281234567890' },
    });

    // A send that fails is reported too (the gateway's own status, not only WhatsApp's receipts).
    t.transport.nextFailure = new Error('not on WhatsApp');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'doomed' }).expect(500);
    await until(() => received.some((r) => r.body.includes('"failed"') && r.body.includes('not on WhatsApp')));

    // Connection changes are events too, once per phase.
    t.transport.setPhase('waiting_to_retry');
    t.transport.setPhase('waiting_to_retry');
    await until(() => received.some((r) => r.body.includes('"connection.update"')));
    await new Promise((r) => setTimeout(r, 50));
    const changes = received.filter((r) => r.body.includes('"connection.update"')).map((r) => JSON.parse(r.body).data);
    expect(changes).toEqual([expect.objectContaining({ connected: false, phase: 'waiting_to_retry' })]);

    const log = await request(t.app).get('/api/webhooks/deliveries').expect(200);
    expect(log.body.data.some((d: { status: string }) => d.status === 'delivered')).toBe(true);
    const first = log.body.data[0] as { id: string };
    await request(t.app).post(`/api/webhooks/deliveries/${first.id}/replay`).expect(202);
    await request(t.app).post('/api/webhooks/deliveries/unknown/replay').expect(404);
  });

  test('the webhook routes do not exist when webhooks are off', async () => {
    t = await buildTestApp();
    await request(t.app).get('/api/webhooks/deliveries').expect(404);
  });
});

describe('GET /api/media/:messageId', () => {
  test('streams the media of an incoming message, and 404s for anything else', async () => {
    t = await buildTestApp();
    t.transport.events.emit('incoming-message', {
      messageId: 'IN-1',
      from: '6281234567890@s.whatsapp.net',
      fromPhoneJid: '6281234567890@s.whatsapp.net',
      timestamp: Math.floor(Date.now() / 1000),
      type: 'imageMessage',
      media: { kind: 'image', mimetype: 'image/jpeg', fileLength: 20 },
      raw: '{"key":{"id":"IN-1"}}',
    });
    const res = await until(async () => (await request(t.app).get('/api/media/IN-1')).status === 200).then(() =>
      request(t.app)
        .get('/api/media/IN-1')
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        }),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((res.body as Buffer).toString()).toBe('incoming media bytes');
    // Only incoming media is served: never an upload or an unknown id.
    await request(t.app).get('/api/media/unknown').expect(404);
    // A text is kept too (a reply may quote it), but has no media to download.
    t.transport.events.emit('incoming-message', {
      messageId: 'IN-2',
      from: '6281234567890@s.whatsapp.net',
      timestamp: Math.floor(Date.now() / 1000),
      type: 'conversation',
      text: 'halo',
      raw: '{"key":{"id":"IN-2"},"message":{"conversation":"halo"}}',
    });
    await until(async () => (await t.services.incoming.get('IN-2')) !== null);
    const text = await request(t.app).get('/api/media/IN-2').expect(404);
    expect(text.body).toMatchObject({ code: 'NOT_FOUND', message: 'Incoming media not found' });
  });

  test('once its sender deleted it for everyone, the media answers as a missing one', async () => {
    t = await buildTestApp();
    const from = '6281234567890@s.whatsapp.net';
    t.transport.events.emit('incoming-message', {
      messageId: 'IN-3',
      from,
      fromPhoneJid: from,
      chat: from,
      timestamp: Math.floor(Date.now() / 1000),
      type: 'imageMessage',
      media: { kind: 'image', mimetype: 'image/jpeg', fileLength: 20 },
      raw: '{"key":{"id":"IN-3"},"message":{"imageMessage":{"mediaKey":"a2V5"}}}',
    });
    await until(async () => (await request(t.app).get('/api/media/IN-3')).status === 200);
    const revokedAt = Math.floor(Date.now() / 1000);
    t.transport.events.emit('incoming-change', {
      change: 'revoke',
      messageId: 'IN-3',
      changeId: 'R1',
      from,
      fromPhoneJid: from,
      chat: from,
      timestamp: revokedAt,
    });
    await until(async () => (await t.services.incoming.findReceived('IN-3'))?.revokedAt !== null);
    const gone = await request(t.app).get('/api/media/IN-3').expect(404);
    expect(gone.body).toEqual({ status: 'error', code: 'NOT_FOUND', message: 'Incoming media not found', timestamp: expect.any(String) });
    expect(new Date(gone.body.timestamp).toISOString()).toBe(gone.body.timestamp);
    expect((await t.services.incoming.findReceived('IN-3'))!.raw).toBe('');
    // The listing still shows it, marked as deleted.
    const listed = await request(t.app).get('/api/messages?direction=in').expect(200);
    expect(listed.body.data.find((m: { message_id: string }) => m.message_id === 'IN-3')).toMatchObject({ type: 'image', revoked: true });
  });
});

describe('GET /api/messages?direction=in', () => {
  test('lists received messages of every kind in the documented shape; records stay as they were', async () => {
    t = await buildTestApp();
    const base = {
      from: '6281234567890@s.whatsapp.net',
      fromPhoneJid: '6281234567890@s.whatsapp.net',
      chat: '6281234567890@s.whatsapp.net',
      timestamp: Math.floor(Date.now() / 1000),
      raw: '{}',
    };
    t.transport.events.emit('incoming-message', { ...base, messageId: 'T1', type: 'conversation', kind: 'text', text: 'halo' });
    t.transport.events.emit('incoming-message', {
      ...base,
      messageId: 'P1',
      type: 'pollCreationMessageV3',
      kind: 'poll',
      replyTo: 'Q1',
      poll: { question: 'Kapan?', options: ['Sabtu', 'Minggu'], multipleAnswers: false },
    });
    t.transport.events.emit('incoming-change', { ...base, change: 'edit', messageId: 'T1', changeId: 'E1', text: 'halo semua' });
    await send('outgoing');
    const list = async () =>
      (await request(t.app).get('/api/messages?direction=in').expect(200)).body as { data: Array<Record<string, unknown>>; total: number };
    await until(async () => (await list()).data.find((m) => m.message_id === 'T1')?.edited_text === 'halo semua');
    const body = await list();
    expect(body.total).toBe(2);
    expect(body.data.map((m) => [m.message_id, m.type, m.summary, m.reply_to])).toEqual([
      ['P1', 'poll', 'Kapan?', 'Q1'],
      ['T1', 'text', 'halo', null],
    ]);
    const doc = await fetchDocument(t.app);
    const validate = schemaValidator(doc)(doc.paths['/api/messages']!.get!.responses['200']!.content!['application/json']!.schema!);
    expect(validate(body) ? null : validate.errors).toBeNull();
    // Without direction (or with out): the records of sent messages only, unchanged.
    const records = (await request(t.app).get('/api/messages').expect(200)).body as { data: Array<{ summary: string }> };
    expect(records.data.map((r) => r.summary)).toEqual(['outgoing']);
    expect((await request(t.app).get('/api/messages?direction=out&type=poll').expect(200)).body.data).toEqual([]);
    expect((await request(t.app).get('/api/messages?direction=in&status=read').expect(400)).body.code).toBe('INVALID_PARAMETER');
    expect((await request(t.app).get('/api/messages?direction=sideways').expect(400)).body.code).toBe('INVALID_PARAMETER');
  });
});
