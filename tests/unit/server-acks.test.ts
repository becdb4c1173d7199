import { EventEmitter } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import { ServerAckTracker, type ServerAck } from '../../src/whatsapp/baileys/server-acks.js';
import { SendOutcomeUnknownError, ServerRejectedError } from '../../src/whatsapp/send-outcome.js';

const ack = (id: string, extra: Record<string, string> = {}) => ({ tag: 'ack', attrs: { class: 'message', id, from: '1@s.whatsapp.net', ...extra } });

describe('ServerAckTracker', () => {
  test('resolves on the ack of its id, even one that arrives before sendMessage returned', async () => {
    const ws = new EventEmitter();
    const seen: ServerAck[] = [];
    const tracker = new ServerAckTracker(ws, 1000, (a) => seen.push(a));
    const pending = tracker.expect('A');
    ws.emit('CB:ack,class:message', ack('B'));
    ws.emit('CB:ack,class:message', ack('A'));
    await expect(pending.acked).resolves.toMatchObject({ messageId: 'A' });
    expect(seen.map((a) => a.messageId)).toEqual(['B', 'A']);
    tracker.close();
  });

  test('the timeout runs from startTimeout (the stanza is out), not from expect (before a media upload)', async () => {
    const ws = new EventEmitter();
    const tracker = new ServerAckTracker(ws, 20, () => undefined);
    const pending = tracker.expect('A');
    let settled = false;
    pending.acked.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 60));
    expect(settled).toBe(false);
    pending.startTimeout();
    await expect(pending.acked).rejects.toMatchObject({ why: 'ack-timeout' });
    tracker.close();
  });

  test('an error ack rejects with WhatsApp code', async () => {
    const ws = new EventEmitter();
    const tracker = new ServerAckTracker(ws, 1000, () => undefined);
    const pending = tracker.expect('A');
    ws.emit('CB:ack,class:message', ack('A', { error: '463' }));
    await expect(pending.acked).rejects.toEqual(expect.objectContaining({ code: 463, retryable: false }));
    await expect(pending.acked).rejects.toBeInstanceOf(ServerRejectedError);
  });

  test('no ack in time, or the connection closing, leaves the outcome unknown; a late ack is still reported', async () => {
    const ws = new EventEmitter();
    const seen: ServerAck[] = [];
    const tracker = new ServerAckTracker(ws, 20, (a) => seen.push(a));
    const timedOut = tracker.expect('A');
    timedOut.startTimeout();
    await expect(timedOut.acked).rejects.toMatchObject({ why: 'ack-timeout', retryable: true });
    ws.emit('CB:ack,class:message', ack('A'));
    expect(seen).toHaveLength(1);
    const cut = tracker.expect('B');
    tracker.close();
    await expect(cut.acked).rejects.toBeInstanceOf(SendOutcomeUnknownError);
    await expect(cut.acked).rejects.toMatchObject({ why: 'connection-closed' });
    expect(ws.listenerCount('CB:ack,class:message')).toBe(0);
  });
});
