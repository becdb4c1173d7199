/** Shared by the component tests of POST /api/messages/:id/edit and DELETE /api/messages/:id. */
import request from 'supertest';
import type { MessageType } from '../../src/domain/vocabulary.js';
import type { TestApp } from './test-app.js';

export { until } from './until.js';

export const PHONE = '6281234567890';
export const JID = `${PHONE}@s.whatsapp.net`;
export const OUTBOX_ON = { QUEUE_WHEN_DISCONNECTED: 'true', PACING_RECIPIENT_INTERVAL_MS: '0', PACING_MAX_PER_MINUTE: '0' };
export const MINUTE = 60_000;

/** Requests and records against the test's current app (`app()` is read at call time). */
export function changeHelpers(app: () => TestApp) {
  return {
    async sendText(text = 'the meeting is at 9'): Promise<{ id: string; message_id: string }> {
      const res = await request(app().app).post('/api/send-message').send({ phone: PHONE, message: text }).expect(200);
      return res.body.data;
    },
    /** A record as a send leaves it, in the state a case needs (the real repository, not a mock). */
    async record(type: MessageType, opts: { status?: 'sent' | 'queued' | 'failed'; ageMs?: number } = {}): Promise<string> {
      const { messages } = app().services;
      const at = new Date(Date.now() - (opts.ageMs ?? 0));
      const created = await messages.create({
        waMessageId: `3EB0REC${Math.random().toString(16).slice(2, 12).toUpperCase()}`,
        phone: PHONE,
        jid: JID,
        type,
        text: 'caption or text',
        status: opts.status === 'failed' ? 'queued' : (opts.status ?? 'sent'),
        at,
      });
      if (opts.status === 'failed') await messages.markStatusById(created.id, 'failed', at, 'WhatsApp error 479');
      return created.id;
    },
    edit: (id: string, body: unknown = { message: 'new text' }) =>
      request(app().app)
        .post(`/api/messages/${encodeURIComponent(id)}/edit`)
        .send(body as object),
    del: (id: string) => request(app().app).delete(`/api/messages/${encodeURIComponent(id)}`),
  };
}
