/**
 * The message record's part of one text, in two builds side by side: what the records code does
 * per text in the gateway (the INSERT, the sealed sent content, the server ack listener's `sent`,
 * the send path's own `sent` confirmation, the receipt's `delivered`), on a WAL file as the
 * gateway opens it. A change
 * of a few µs per text is far below what gateway-ab.ts resolves on a shared machine; here it is
 * the whole figure. Slices alternate between the builds; the result is the median per-slice ratio.
 *
 *   node dist/bench/record-statements-ab.js /tmp/before/src [<after>/src]   (default after: this dist)
 *   RECORDS_AB_TEXTS=2000 RECORDS_AB_SLICES=12 ...
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './ceiling/process-stats.js';
import { runMain } from './ceiling/report.js';
import type { MessageRepository } from '../src/records/message-repository.js';
import type { SqliteDatabase } from '../src/store/database.js';
import type { SentContentStore } from '../src/whatsapp/sent-content.js';

const TEXTS = Number(process.env.RECORDS_AB_TEXTS ?? 2000);
const SLICES = Number(process.env.RECORDS_AB_SLICES ?? 12);
const KEY = randomBytes(32);
/** About a short text's protobuf. */
const CONTENT = randomBytes(48);

interface Build {
  repo: MessageRepository;
  sentContent: SentContentStore;
  db: SqliteDatabase;
  next: number;
}

async function load(srcDir: string, file: string): Promise<Build> {
  const url = (path: string) => pathToFileURL(join(srcDir, path)).href;
  const { openDatabase } = (await import(url('store/database.js'))) as typeof import('../src/store/database.js');
  const { SqliteMessageRepository } = (await import(
    url('records/sqlite-message-repository.js')
  )) as typeof import('../src/records/sqlite-message-repository.js');
  const { SqliteSentContentRepository } = (await import(
    url('records/sent-content-repository.js')
  )) as typeof import('../src/records/sent-content-repository.js');
  const { AesGcmContentCipher } = (await import(url('records/sent-content-cipher.js'))) as typeof import('../src/records/sent-content-cipher.js');
  const db = openDatabase(file);
  return { repo: new SqliteMessageRepository(db), sentContent: new SqliteSentContentRepository(db, new AesGcmContentCipher(KEY)), db, next: 0 };
}

/** CPU µs per text of one slice. */
async function slice(build: Build): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < TEXTS; i++) {
    const wa = `3EB0${(build.next++).toString(16).padStart(16, '0')}`;
    const record = await build.repo.create({
      waMessageId: wa,
      phone: '6281234567890',
      jid: '6281234567890@s.whatsapp.net',
      type: 'text',
      text: `text ${i}`,
      status: 'queued',
    });
    await build.sentContent.save({ waMessageId: wa, jid: record.jid, content: CONTENT });
    await build.repo.markStatus(wa, 'sent');
    await build.repo.markStatusById(record.id, 'sent');
    await build.repo.markStatus(wa, 'delivered');
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / TEXTS;
}

async function main(): Promise<void> {
  const beforeSrc = process.argv[2];
  if (!beforeSrc) throw new Error('usage: node dist/bench/record-statements-ab.js <before build>/src [<after build>/src]');
  const afterSrc = process.argv[3] ? resolve(process.argv[3]) : join(fileURLToPath(new URL('.', import.meta.url)), '../src');
  const root = await mkdtemp(join(tmpdir(), 'wa-records-ab-'));
  const before = await load(resolve(beforeSrc), join(root, 'before.db'));
  const after = await load(afterSrc, join(root, 'after.db'));
  await slice(before); // warm-up: statements prepared, code optimised
  await slice(after);
  const ratios: number[] = [];
  const times = { before: [] as number[], after: [] as number[] };
  for (let i = 0; i < SLICES; i++) {
    const order = i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    const us = { before: 0, after: 0 };
    for (const name of order) us[name] = await slice(name === 'before' ? before : after);
    times.before.push(us.before);
    times.after.push(us.after);
    ratios.push(us.after / us.before);
    console.log(
      `slice ${i + 1}: CPU/text before ${us.before.toFixed(1)} µs, after ${us.after.toFixed(1)} µs, after/before ${(us.after / us.before).toFixed(3)}`,
    );
  }
  console.log(
    `median CPU/text: before ${median(times.before).toFixed(1)} µs, after ${median(times.after).toFixed(1)} µs; median of per-slice after/before ${median(ratios).toFixed(3)} (${SLICES} slices of ${TEXTS} texts)`,
  );
  before.db.close();
  after.db.close();
  await rm(root, { recursive: true, force: true });
}

runMain(main);
