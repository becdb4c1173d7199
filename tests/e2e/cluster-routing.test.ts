/**
 * Any node accepts a send for any session (issue 14, item 4): a send made on a node that does not
 * drive the session goes into the shared outbox, the owner is woken by NOTIFY and sends it, and
 * the accepting node answers as a single node would: 200 with the send's outcome when the owner got
 * WhatsApp's server ack within SEND_ACK_TIMEOUT, 202 queued otherwise (sent once, later). Two real
 * gateway nodes on one PostgreSQL, real Baileys against the emulator. QUEUE_WHEN_DISCONNECTED is
 * left off: routing does not depend on it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { startEmulator, unrefBaileysTimers, type Emulator, type ReceivedMessage } from '../../emulator/index.js';
import { LISTENER_APPLICATION_NAME } from '../../src/cluster/notify.js';
import { DEFAULT_SESSION } from '../../src/sessions/session-name.js';
import { SAMPLE_FILES } from '../support/fixtures.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { linkOnDriver, startClusterNode, type ClusterNode } from './support/cluster-nodes.js';
import { waitFor } from './support/harness.js';

const ADMIN = 'admin-key-0123456789abcdef';
const RECIPIENT = '6281234567890';
const ORDERED_TO = '6281234567891';
const REFUSING = '6281234567892';
const BEHIND = '6281234567893';
const RESYNC_TO = '6281234567894';
const LEASE_TTL_S = 3;
const BOUND_MS = 5 * LEASE_TTL_S * 1000;
// Both nodes: how long a send waits for its server ack, and so how long a routed send waits for the owner.
const ENV = { SEND_ACK_TIMEOUT: '5', PACING_RECIPIENT_INTERVAL_MS: '0' };

interface SendBody {
  data: { id: string; message_id: string; delivery_status: string };
}

/** Copies the recipient's phone shows: one per id, whatever was resent. */
const shown = (messages: readonly ReceivedMessage[], id: string) => messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && !m.duplicate);
/** Every key of a body, nested ones as `a.b`: the shape, without the values. */
const shape = (value: unknown, prefix = ''): string[] =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...shape(v, `${prefix}${k}.`)])
    : [];

describe('cluster: a send on the node that does not drive the session', () => {
  let pgServer: PostgresCluster;
  let restoreTimers: () => void;
  let emulator: Emulator;
  const emulators = new Map<string, Emulator>();
  const nodes: ClusterNode[] = [];
  const roots: string[] = [];
  let owner: ClusterNode;
  let other: ClusterNode;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    pgServer = await startPostgresCluster();
    emulator = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6283330000001', lid: '89000000001', pushName: 'routing' } });
    emulators.set(DEFAULT_SESSION, emulator);
    for (const id of ['node-a', 'node-b']) {
      // Each node's folders are the test's, so it can look for files left behind.
      const root = await mkdtemp(path.join(tmpdir(), `wa-routing-${id}-`));
      roots.push(root);
      nodes.push(await startClusterNode({ id, root, databaseUrl: pgServer.url, adminKey: ADMIN, leaseTtl: String(LEASE_TTL_S), emulators, env: ENV }));
    }
    owner = (await linkOnDriver(nodes, emulator, DEFAULT_SESSION, BOUND_MS)).owner;
    other = nodes.find((n) => n !== owner)!;
  }, 90_000);

  /**
   * A settled routed media send leaves nothing: no bytes in the shared store, no upload or prepared
   * file on the node that accepted it, no spool file on the node that sent it.
   */
  const nothingLeftBehind = async () => {
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    try {
      await waitFor(async () => (await client.query<{ n: string }>('select count(*) as n from outbox_media')).rows[0]!.n === '0', 10_000, 'no stored media');
    } finally {
      await client.end();
    }
    for (const root of roots) {
      for (const dir of [path.join(root, 'uploads'), path.join(root, 'data', 'outbox-media')]) {
        const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
        expect(entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))).toEqual([]);
      }
    }
  };

  /** Runs `query` on the shared store with a connection of the test's own. */
  const inStore = async <R extends pg.QueryResultRow>(query: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    try {
      return (await client.query<R>(query, params)).rows;
    } finally {
      await client.end();
    }
  };
  /** How many jobs to `phone` are still to send in the shared outbox. */
  const pendingTo = async (phone: string) =>
    Number(
      (await inStore<{ n: string }>("select count(*) as n from outbox_jobs where status in ('queued', 'in_flight') and jid like $1", [`${phone}@%`]))[0]!.n,
    );

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await emulator?.stop();
    await pgServer?.stop();
    for (const root of roots) await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    restoreTimers?.();
  }, 60_000);

  test('a text sent through the non-owner arrives once and is answered 200 as on the owner', async () => {
    expect(other.held()).toEqual([]);
    expect(other.connected()).toEqual([]);
    const onOwner = await owner.api().post('/api/send-message').send({ phone: RECIPIENT, message: 'through the owner' }).expect(200);
    const routed = await other.api().post('/api/send-message').send({ phone: RECIPIENT, message: 'through the other node' }).expect(200);
    expect(shape(routed.body)).toEqual(shape(onOwner.body));
    const body = routed.body as SendBody;
    expect(['sent', 'delivered', 'read']).toContain(body.data.delivery_status);
    const received = await emulator.waitForMessage((m) => m.id === body.data.message_id && !m.isOwnDeviceCopy);
    expect(received.text).toBe('through the other node');
    // Its record is the same from either node.
    const record = await owner.api().get(`/api/messages/${body.data.id}`).expect(200);
    expect(record.body).toMatchObject({ data: { message_id: body.data.message_id } });
    expect(shown(emulator.messages, body.data.message_id)).toHaveLength(1);
    expect(emulator.overlappingLogins).toBe(0);
  }, 60_000);

  test('without the server ack within the bound the non-owner answers 202; the owner sends it once later', async () => {
    emulator.interceptAcks({ action: 'swallow' });
    const res = await other.api().post('/api/send-message').send({ phone: RECIPIENT, message: 'acked late' }).expect(202);
    const body = res.body as SendBody;
    expect(body.data.delivery_status).toBe('queued');
    const received = await emulator.waitForMessage((m) => m.id === body.data.message_id && !m.isOwnDeviceCopy, 30_000);
    expect(received.text).toBe('acked late');
    await waitFor(
      async () => ['sent', 'delivered', 'read'].includes((await other.api().get(`/api/messages/${body.data.id}`)).body.data.status),
      20_000,
      'the record sent',
    );
    expect(shown(emulator.messages, body.data.message_id)).toHaveLength(1);
  }, 60_000);

  test('messages sent alternately through both nodes arrive in order, once each', async () => {
    const texts = Array.from({ length: 6 }, (_, i) => `ordered ${i + 1}`);
    const ids: string[] = [];
    for (const [i, text] of texts.entries()) {
      const node = i % 2 === 0 ? other : owner;
      const res = await node.api().post('/api/send-message').send({ phone: ORDERED_TO, message: text }).expect(200);
      ids.push((res.body as SendBody).data.message_id);
    }
    await waitFor(() => ids.every((id) => shown(emulator.messages, id).length === 1), 20_000, 'every message shown');
    const arrived = emulator.messages.filter((m) => ids.includes(m.id) && !m.isOwnDeviceCopy && !m.duplicate);
    expect(arrived.map((m) => m.text)).toEqual(texts);
  }, 60_000);

  test('a location and a poll through the non-owner go out as those kinds, answered 200', async () => {
    const location = await other.api().post('/api/send-location').send({ phone: RECIPIENT, latitude: -6.1754, longitude: 106.8272, name: 'Monas' }).expect(200);
    const locationCopy = await emulator.waitForMessage((m) => m.id === (location.body as SendBody).data.message_id && !m.isOwnDeviceCopy);
    expect(locationCopy.message.locationMessage).toMatchObject({ degreesLatitude: -6.1754, degreesLongitude: 106.8272, name: 'Monas' });
    const poll = await other
      .api()
      .post('/api/send-poll')
      .send({ phone: RECIPIENT, question: 'Makan di mana?', options: ['Padang', 'Sunda'] })
      .expect(200);
    const pollCopy = await emulator.waitForMessage((m) => m.id === (poll.body as SendBody).data.message_id && !m.isOwnDeviceCopy);
    expect(pollCopy.message.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Padang', 'Sunda']);
  }, 60_000);

  test('an image through the non-owner is converted there, carried in the shared store and arrives once with the bytes the owner sends', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366aa' } })
      .png()
      .toBuffer();
    const send = (node: ClusterNode, caption: string) =>
      node.api().post('/api/send-image').field('phone', RECIPIENT).field('caption', caption).attach('file', png, 'produk.png');
    const onOwner = await send(owner, 'lewat pemilik').expect(200);
    const routed = await send(other, 'lewat node lain').expect(200);
    expect(shape(routed.body)).toEqual(shape(onOwner.body));
    const body = routed.body as SendBody;
    expect(['sent', 'delivered', 'read']).toContain(body.data.delivery_status);
    const ownerCopy = await emulator.waitForMessage((m) => m.id === (onOwner.body as SendBody).data.message_id && !m.isOwnDeviceCopy);
    const copy = await emulator.waitForMessage((m) => m.id === body.data.message_id && !m.isOwnDeviceCopy);
    expect(copy.mediaError).toBeUndefined();
    // The same upload prepared on either node: the same bytes reach the recipient.
    expect(copy.media?.bytes.equals(ownerCopy.media!.bytes)).toBe(true);
    expect(copy.media).toMatchObject({ mimetype: ownerCopy.media!.mimetype, width: 8, height: 8 });
    expect(copy.message.imageMessage?.caption).toBe('lewat node lain');
    expect(shown(emulator.messages, body.data.message_id)).toHaveLength(1);
    await nothingLeftBehind();
  }, 60_000);

  test('a document through the non-owner arrives byte for byte under its name', async () => {
    const pdf = Buffer.concat([SAMPLE_FILES.pdf!, randomBytes(4096)]);
    const res = await other.api().post('/api/send-document').field('phone', RECIPIENT).attach('file', pdf, 'laporan.pdf').expect(200);
    const copy = await emulator.waitForMessage((m) => m.id === (res.body as SendBody).data.message_id && !m.isOwnDeviceCopy);
    expect(copy.media?.bytes.equals(pdf)).toBe(true);
    expect(copy.media).toMatchObject({ fileName: 'laporan.pdf', mimetype: 'application/pdf' });
    await nothingLeftBehind();
  }, 60_000);

  test('a send WhatsApp refuses through the non-owner is answered as on the owner: its status, code and error-ack code', async () => {
    const refuse = () => emulator.interceptAcks({ action: { error: 479 }, to: REFUSING });
    refuse();
    const onOwner = await owner.api().post('/api/send-message').send({ phone: REFUSING, message: 'ditolak' });
    refuse();
    const routed = await other.api().post('/api/send-message').send({ phone: REFUSING, message: 'ditolak' });
    expect(onOwner.status).toBe(500);
    expect(onOwner.body).toMatchObject({ status: 'error', code: 'SEND_FAILED', wa_error_code: 479 });
    expect(routed.status).toBe(onOwner.status);
    expect(shape(routed.body)).toEqual(shape(onOwner.body));
    const { code, message, wa_error_code } = onOwner.body as Record<string, unknown>;
    expect(routed.body).toMatchObject({ code, message, wa_error_code });
  }, 60_000);

  test('a refused image through the non-owner fails with its code, and its stored bytes go with the job', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#aa3366' } })
      .png()
      .toBuffer();
    emulator.interceptAcks({ action: { error: 479 }, to: REFUSING });
    const res = await other.api().post('/api/send-image').field('phone', REFUSING).attach('file', png, 'ditolak.png');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'SEND_FAILED', wa_error_code: 479 });
    await nothingLeftBehind();
  }, 60_000);

  test('a send on the owner waits behind a routed send still pending for the same recipient: they arrive in the order accepted', async () => {
    // The routed text's first send gets no server ack: its job stays pending until the owner resends it.
    emulator.interceptAcks({ action: 'swallow', to: BEHIND });
    const routed = other
      .api()
      .post('/api/send-message')
      .send({ phone: BEHIND, message: 'pertama (lewat node lain)' })
      .then((res) => res);
    await waitFor(async () => (await pendingTo(BEHIND)) === 1, 10_000, 'the routed job pending');
    const onOwner = await owner.api().post('/api/send-message').send({ phone: BEHIND, message: 'kedua (lewat pemilik)' });
    // Answered as a routed send: 200 if its job went out within SEND_ACK_TIMEOUT, 202 queued otherwise.
    expect([200, 202]).toContain(onOwner.status);
    expect((await routed).status).toBe(202);
    const ids = [(await routed).body as SendBody, onOwner.body as SendBody].map((b) => b.data.message_id);
    await waitFor(() => ids.every((id) => shown(emulator.messages, id).length === 1), 40_000, 'both shown once');
    const arrived = emulator.messages.filter((m) => ids.includes(m.id) && !m.isOwnDeviceCopy && !m.duplicate);
    expect(arrived.map((m) => m.text)).toEqual(['pertama (lewat node lain)', 'kedua (lewat pemilik)']);
    await waitFor(async () => (await pendingTo(BEHIND)) === 0, 10_000, 'nothing pending');
  }, 90_000);

  test('a routed send is answered, and sent once, when the LISTEN connections are lost during its wait', async () => {
    const listeners = `select pid from pg_stat_activity where application_name = '${LISTENER_APPLICATION_NAME}'`;
    await waitFor(async () => (await inStore(listeners)).length === nodes.length, 10_000, 'every node listening');
    // Both nodes' listeners: the owner misses the new job's doorbell, the other node its result.
    await inStore(`select pg_terminate_backend(pid) from (${listeners}) as l`);
    const res = await other.api().post('/api/send-message').send({ phone: RESYNC_TO, message: 'tanpa bel' });
    expect([200, 202]).toContain(res.status);
    const body = res.body as SendBody;
    await emulator.waitForMessage((m) => m.id === body.data.message_id && !m.isOwnDeviceCopy, 30_000);
    await waitFor(
      async () => ['sent', 'delivered', 'read'].includes((await other.api().get(`/api/messages/${body.data.id}`)).body.data.status),
      20_000,
      'the record sent',
    );
    expect(shown(emulator.messages, body.data.message_id)).toHaveLength(1);
    await waitFor(async () => (await inStore(listeners)).length === nodes.length, 10_000, 'every node listening again');
  }, 60_000);

  // Last: it stops the owner.
  test('images the owner could not send, one routed to it and one it queued itself, go out from the shared store after the other node takes the session over', async () => {
    const image = (background: string) =>
      sharp({ create: { width: 6, height: 6, channels: 3, background } })
        .png()
        .toBuffer();
    const [routedPng, ownPng] = await Promise.all([image('#33aa66'), image('#6633aa')]);
    // No server ack for anything to the recipient until the owner is gone: both jobs stay pending.
    emulator.interceptAcks({ action: 'swallow', to: RECIPIENT, times: Infinity });
    const routedSend = other
      .api()
      .post('/api/send-image')
      .field('phone', RECIPIENT)
      .field('caption', 'setelah alih')
      .attach('file', routedPng, 'alih.png')
      .then((res) => res);
    await waitFor(async () => (await pendingTo(RECIPIENT)) === 1, 10_000, 'the routed job pending');
    // The owner's own send queues behind it (and its bytes go into the shared store, not its disk).
    const own = await owner
      .api()
      .post('/api/send-image')
      .field('phone', RECIPIENT)
      .field('caption', 'antre di pemilik')
      .attach('file', ownPng, 'sendiri.png')
      .expect(202);
    const routed = await routedSend;
    expect(routed.status).toBe(202);
    const ids = [routed.body as SendBody, own.body as SendBody].map((b) => b.data.message_id);
    const ownerRoot = roots[nodes.indexOf(owner)]!;
    await owner.stop();
    // As if the owner's machine were gone: nothing of its data folder is there for the next driver.
    await rm(path.join(ownerRoot, 'data', 'outbox-media'), { recursive: true, force: true });
    emulator.clearAckRules();
    await waitFor(() => other.connected().includes(DEFAULT_SESSION), BOUND_MS, 'the other node drives the session');
    await waitFor(() => ids.every((id) => shown(emulator.messages, id).length === 1), 40_000, 'both images shown once');
    const arrived = emulator.messages.filter((m) => ids.includes(m.id) && !m.isOwnDeviceCopy && !m.duplicate);
    expect(arrived.map((m) => m.message.imageMessage?.caption)).toEqual(['setelah alih', 'antre di pemilik']);
    for (const copy of arrived) {
      expect(copy.mediaError).toBeUndefined();
      expect(copy.media).toMatchObject({ width: 6, height: 6 });
    }
    for (const body of [routed.body as SendBody, own.body as SendBody]) {
      await waitFor(
        async () => ['sent', 'delivered', 'read'].includes((await other.api().get(`/api/messages/${body.data.id}`)).body.data.status),
        20_000,
        'the record sent',
      );
    }
    await nothingLeftBehind();
  }, 120_000);
});
