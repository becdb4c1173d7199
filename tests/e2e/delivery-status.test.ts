/**
 * Receipts from the recipient's phone reach the message record: the emulator sends a delivery
 * receipt for each message (after `delayMs`) and a read receipt on demand, and
 * GET /api/messages/:id shows the status move sent → delivered → read.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';

async function recordStatus(h: E2EHarness, messageId: string): Promise<string | undefined> {
  const res = await h.api.get(`/api/messages/${encodeURIComponent(messageId)}`);
  return res.status === 200 ? (res.body as { data: { status: string } }).data.status : undefined;
}

function waitForRecordStatus(h: E2EHarness, messageId: string, wanted: string): Promise<string> {
  return waitFor(async () => ((await recordStatus(h, messageId)) === wanted ? wanted : undefined), 3000, `record status ${wanted}`);
}

async function sendAndGetId(h: E2EHarness, text: string): Promise<string> {
  const res = await h.sendText(RECIPIENT, text).expect(200);
  const id = (res.body as { data: { message_id: string } }).data.message_id;
  await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
  return id;
}

describe.each([
  { receipt: 'after 100 ms (after Baileys has flushed its upsert of the sent message)', delayMs: 100 },
  // A phone on a fast network acks before Baileys flushes its own buffered upsert of the sent
  // message; Baileys then merges the status into that upsert instead of emitting messages.update.
  { receipt: 'at once (merged into Baileys\u2019 upsert of the sent message)', delayMs: 0 },
])('delivery receipts sent $receipt', ({ delayMs }) => {
  let h: E2EHarness;

  beforeAll(async () => {
    h = await E2EHarness.startLinked({ emulator: { receipts: { deliver: true, delayMs } } });
  });

  afterAll(async () => {
    await h?.stop();
  });

  test('the record goes sent → delivered → read', async () => {
    const id = await sendAndGetId(h, `receipt test ${delayMs}`);
    const sentRes = await h.api.get(`/api/messages/${id}`).expect(200);
    expect(['sent', 'delivered']).toContain((sentRes.body as { data: { status: string } }).data.status);
    await expect(waitForRecordStatus(h, id, 'delivered')).resolves.toBe('delivered');

    h.emu.sendReceipt(id, 'read');
    await expect(waitForRecordStatus(h, id, 'read')).resolves.toBe('read');
  });
});
