/**
 * QUEUE_WHEN_DISCONNECTED: sends while WhatsApp is down are accepted with 202, kept with their
 * media, and delivered in order after reconnect under the WhatsApp id the 202 named.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const OUTBOX_ON = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' };

describe('outbox', () => {
  test('a text sent while disconnected is queued (202) and delivered after reconnect under the same id', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('waiting_to_retry');
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'later' }).expect(202);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Text message queued for delivery',
      data: { phone: '6281234567890', message: 'later', type: 'text', delivery_status: 'queued', message_id: expect.any(String), id: expect.any(String) },
    });
    const status = await request(t.app).get('/api/status').expect(200);
    expect(status.body.outbox).toEqual({ enabled: true, queued: 1, in_flight: 0, media_mb: 0 });
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ status: 'queued', message_id: res.body.data.message_id });
    expect(t.transport.sent).toHaveLength(0);

    t.transport.setPhase('open');
    await until(() => t.transport.sent.length === 1);
    expect(t.transport.sent[0]).toMatchObject({ jid: '6281234567890@s.whatsapp.net', text: 'later', messageId: res.body.data.message_id });
    await until(async () => (await request(t.app).get(`/api/messages/${res.body.data.id}`)).body.data.status === 'sent');
  });

  test('queued media is kept on disk outside the upload folder and sent with its bytes', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('connecting');
    const res = await request(t.app)
      .post('/api/send-document')
      .field('phone', '6281234567890')
      .field('caption', 'invoice')
      .attach('file', SAMPLE_FILES.pdf!, 'invoice.pdf')
      .expect(202);
    expect(res.body.message).toBe('Document queued for delivery');
    expect(await t.uploadsLeft()).toEqual([]);
    const spool = path.join(t.config.dataDir, 'outbox-media');
    expect(await readdir(spool)).toHaveLength(1);

    t.transport.setPhase('open');
    await until(() => t.transport.sent.length === 1);
    const [sent] = t.transport.sent;
    expect(sent?.bytes?.equals(SAMPLE_FILES.pdf!)).toBe(true);
    expect(sent?.media).toMatchObject({ kind: 'document', fileName: 'invoice.pdf', caption: 'invoice', mimetype: 'application/pdf' });
    expect(sent?.messageId).toBe(res.body.data.message_id);
    await until(async () => (await readdir(spool)).length === 0);
  });

  test('queued messages go out in the order they were accepted', async () => {
    t = await buildTestApp(OUTBOX_ON);
    t.transport.setPhase('waiting_to_retry');
    for (const [phone, message] of [
      ['6281234567890', 'one'],
      ['6289876543210', 'two'],
      ['6281234567890', 'three'],
    ]) {
      await request(t.app).post('/api/send-message').send({ phone, message }).expect(202);
    }
    t.transport.setPhase('open');
    await until(() => t.transport.sent.length === 3);
    expect(t.transport.sent.map((s) => s.text)).toEqual(['one', 'two', 'three']);
    // Once the queue is empty, sends go straight out again.
    await until(async () => (await t.services.outbox!.repository.size()).jobs === 0);
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'now' }).expect(200);
  });

  test('pacing queues (never fails) a burst to one recipient', async () => {
    t = await buildTestApp({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '300', PACING_MAX_PER_MINUTE: '0' });
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'first' }).expect(200);
    const second = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'second' }).expect(202);
    expect(second.body.data.delivery_status).toBe('queued');
    // Another recipient is not held up by the first one's interval.
    await request(t.app).post('/api/send-message').send({ phone: '6289876543210', message: 'other' }).expect(202);
    await until(() => t.transport.sent.length === 3, 3000);
    expect(t.transport.sent.map((s) => s.text)).toEqual(['first', 'other', 'second']);
  });

  test('concurrent sends cannot slip past pacing together', async () => {
    t = await buildTestApp({ QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '5000', PACING_MAX_PER_MINUTE: '0' });
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        request(t.app)
          .post('/api/send-message')
          .send({ phone: '6281234567890', message: `burst ${i}` }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 202, 202, 202, 202]);
    expect(t.transport.sent).toHaveLength(1);
  });

  test('a full outbox answers 503 clearly and keeps nothing', async () => {
    t = await buildTestApp({ ...OUTBOX_ON, OUTBOX_MAX_MESSAGES: '1' });
    t.transport.setPhase('waiting_to_retry');
    await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'fits' }).expect(202);
    const res = await request(t.app).post('/api/send-image').field('phone', '6281234567890').attach('file', SAMPLE_FILES.png!, 'a.png').expect(503);
    expect(res.body).toMatchObject({ status: 'error', code: 'OUTBOX_FULL' });
    expect(res.body.message).toMatch(/^Outbox full: 1 of 1 messages already queued/);
    expect(await t.uploadsLeft()).toEqual([]);
    expect(await readdir(path.join(t.config.dataDir, 'outbox-media'))).toHaveLength(0);
  });
});
