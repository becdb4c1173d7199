/**
 * System calls per text, gateway vs the bare socket: `strace -c -f` attached to each running
 * process while it sends N texts (the gateway over HTTP, one at a time; the bare socket waiting for
 * each server ack, then without waiting), receipts included. On a VM where each socket write costs
 * a large share of a send's CPU, the count of calls says where CPU goes that a profile of
 * JavaScript hides. strace slows the process down: read the counts, not the CPU figures.
 *
 *   npm run build && node dist/bench/syscalls.js          (SYSCALLS_TEXTS=100; needs strace)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startEmulator } from '../emulator/index.js';
import { linkGateway, startBareSocket, startGatewayChild } from './ceiling/contenders.js';
import { cpuMs, sleep } from './ceiling/process-stats.js';

const TEXTS = Number(process.env.SYSCALLS_TEXTS ?? 100);
const RECIPIENT = '6281234567890';

/** strace -c's table, per text: calls of each syscall made at least once every other text. */
async function traced(pid: number, what: string, work: () => Promise<void>): Promise<void> {
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let table = '';
  strace.stderr.on('data', (chunk: Buffer) => (table += chunk.toString()));
  await sleep(1500);
  const cpu = cpuMs(pid);
  await work();
  await sleep(500);
  const cpuPerText = (cpuMs(pid) - cpu) / TEXTS;
  strace.kill('SIGINT');
  await new Promise((resolve) => strace.once('exit', resolve));
  const rows = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d/.test(f[0]!) && f.at(-1) !== 'total')
    .map((f) => ({ name: f.at(-1)!, calls: Number(f[3]) }));
  const total = rows.reduce((sum, row) => sum + row.calls, 0);
  console.log(`== ${what}: ${TEXTS} texts, ${cpuPerText.toFixed(2)} ms CPU each under strace; ${(total / TEXTS).toFixed(1)} syscalls per text`);
  for (const row of rows.filter((r) => r.calls / TEXTS >= 0.5).sort((a, b) => b.calls - a.calls)) {
    console.log(`${(row.calls / TEXTS).toFixed(2).padStart(8)}  ${row.name}`);
  }
}

async function main(): Promise<void> {
  const emu = await startEmulator({ logger: pino({ level: 'silent' }) });
  const root = await mkdtemp(join(tmpdir(), 'wa-syscalls-'));
  const gateway = await startGatewayChild(emu, join(root, 'gateway'));
  const jid = `${RECIPIENT}@s.whatsapp.net`;
  try {
    await linkGateway(gateway, emu);
    const bare = await startBareSocket(emu);
    try {
      await sleep(4000);
      for (let i = 0; i < 30; i++) await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `warm ${i}` });
      await bare.sendTexts(30, jid, true);
      await bare.receipted();
      await traced(gateway.pid, 'gateway, POST /api/send-message one at a time', async () => {
        for (let i = 0; i < TEXTS; i++) {
          const res = await gateway.postJson('/api/send-message', { phone: RECIPIENT, message: `syscalls ${i}` });
          if (res.status !== 200) throw new Error(`send-message: HTTP ${res.status}`);
        }
      });
      await traced(bare.pid, 'bare socket waiting for each server ack, receipts included', async () => {
        await bare.sendTexts(TEXTS, jid, true);
        await bare.receipted();
      });
      await traced(bare.pid, 'bare socket not waiting for acks, receipts included', async () => {
        await bare.sendTexts(TEXTS, jid);
        await bare.receipted();
      });
    } finally {
      await bare.stop();
    }
  } finally {
    await gateway.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
