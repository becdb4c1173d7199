/**
 * The send ceiling: a bare Baileys socket, nothing else. Creds and Signal keys live in a Map (no
 * disk, no cache layer), the socket options are the gateway's, and texts are sent one after
 * another with sendMessage. Started by socket-ceiling.ts with an IPC channel:
 *   → { qr } / { open }            pairing progress
 *   ← { send: n, jid }  → { sent: n }   n sequential texts
 *   ← { send: n, jid, awaitAck: true }  the same, each waiting for WhatsApp's server ack before
 *                                        the next, as the gateway's send does before it answers
 *   → { receipted: n }                  after { sent }: the delivery receipts of those n texts
 *                                        have been handled (Baileys acks each one to the server)
 *   ← { collect: true }  → { collected }  two full collections (its smallest size at rest; see below)
 *   ← { exit: true }                    exit normally
 *
 * Why { receipted }: the plain loop never yields to the event loop (every await in sendMessage
 * settles as a microtask and the stanza is written synchronously), so the server acks and
 * delivery receipts of a slice are read only after it, in one batch. A CPU figure taken when
 * { sent } arrives leaves out the receipt half of each message's work, which the gateway does
 * within its own slice (it answers a send after the server ack, and receipts follow 100 ms later).
 *
 * Why { collect }: at rest the bare socket's RSS is bimodal. V8 keeps the young generation that
 * pairing (or a load) grew, about 20 MB, until a collection happens while allocation is slow, which
 * an idle process may or may not get: runs measured it at 109 MB and at 124-133 MB. The gateway
 * gives that memory back itself (src/lifecycle/idle-memory.ts); the ceiling is taken at its
 * smallest too, after two full collections (the first still sees the busy spell's allocation
 * rate, the second lets V8 shrink the space), so the idle row compares like with like.
 */
import {
  Browsers,
  generateMessageIDV2,
  initAuthCreds,
  makeWASocket,
  proto,
  type AuthenticationCreds,
  type BinaryNode,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type WASocket,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { fullCollection } from '../../src/lifecycle/idle-memory.js';

const HISTORY = proto.HistorySync.HistorySyncType;

function inMemoryKeys(): SignalKeyStore {
  const byType = new Map<string, Map<string, unknown>>();
  return {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const stored = byType.get(type);
      const found: Record<string, SignalDataTypeMap[T]> = {};
      for (const id of ids) {
        const value = stored?.get(id);
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
      }
      return found;
    },
    set: async (data: SignalDataSet) => {
      for (const [type, entries] of Object.entries(data)) {
        let stored = byType.get(type);
        if (!stored) byType.set(type, (stored = new Map()));
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value) stored.set(id, value);
          else stored.delete(id);
        }
      }
    },
  };
}

const creds: AuthenticationCreds = initAuthCreds();
const keys = inMemoryKeys();
const logger = pino({ level: 'silent' });
let socket: WASocket | undefined;
/** Server acks waited for, by message id. */
const awaitedAcks = new Map<string, () => void>();
/** Texts of the current command whose delivery receipt has not been handled yet, and who waits for that. */
const awaitedReceipts = new Set<string>();
let allReceipted: (() => void) | undefined;

function connect(): void {
  socket = makeWASocket({
    auth: { creds, keys },
    logger,
    waWebSocketUrl: process.env.WA_WS_URL,
    browser: Browsers.ubuntu('Chrome'),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    shouldSyncHistoryMessage: ({ syncType }) => syncType !== HISTORY.RECENT && syncType !== HISTORY.FULL,
    defaultQueryTimeoutMs: 60_000,
    connectTimeoutMs: 20_000,
  });
  socket.ws.on('CB:ack,class:message', (node: BinaryNode) => {
    const id = node.attrs.id;
    if (id) awaitedAcks.get(id)?.();
  });
  // A delivery receipt (no type); Baileys' own handler for it runs in the same emit.
  socket.ws.on('CB:receipt', (node: BinaryNode) => {
    if (node.attrs.type !== undefined || !node.attrs.id || !awaitedReceipts.delete(node.attrs.id)) return;
    if (awaitedReceipts.size === 0) allReceipted?.();
  });
  // Creds are mutated in place by Baileys; in memory there is nothing to save.
  socket.ev.on('connection.update', ({ connection, qr, lastDisconnect }) => {
    if (qr) process.send?.({ qr });
    if (connection === 'open') process.send?.({ open: true });
    if (connection === 'close') {
      const code = (lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
      // 515 after pairing (and a dropped socket) need a new socket with the same creds.
      if (code !== 401) setTimeout(connect, 50);
    }
  });
}

async function sendAwaitingAck(jid: string, text: string): Promise<void> {
  const messageId = generateMessageIDV2(socket!.user?.id);
  awaitedReceipts.add(messageId);
  const acked = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server ack for ${messageId}`)), 30_000);
    awaitedAcks.set(messageId, () => {
      clearTimeout(timer);
      awaitedAcks.delete(messageId);
      resolve();
    });
  });
  await socket!.sendMessage(jid, { text }, { messageId });
  await acked;
}

type Command = { send: number; jid: string; awaitAck?: boolean } | { collect: true } | { exit: true };

process.on('message', (command: Command) => {
  // A normal exit (so `--cpu-prof` writes its profile), for the profiling script.
  if ('exit' in command) process.exit(0);
  if ('collect' in command) {
    const collect = fullCollection();
    collect();
    // A quiet second between the two, as the gateway's trim has between its collections.
    setTimeout(() => {
      collect();
      process.send?.({ collected: true });
    }, 1000);
    return;
  }
  void (async () => {
    for (let i = 0; i < command.send; i++) {
      if (command.awaitAck) await sendAwaitingAck(command.jid, `ceiling ${i}`);
      else {
        const messageId = generateMessageIDV2(socket!.user?.id);
        awaitedReceipts.add(messageId);
        await socket!.sendMessage(command.jid, { text: `ceiling ${i}` }, { messageId });
      }
    }
    process.send?.({ sent: command.send });
    if (awaitedReceipts.size > 0) await new Promise<void>((resolve) => (allReceipted = resolve));
    allReceipted = undefined;
    process.send?.({ receipted: command.send });
  })().catch((error: unknown) => process.send?.({ error: String(error) }));
});

connect();
