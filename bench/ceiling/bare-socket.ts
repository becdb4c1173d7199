/**
 * The send ceiling: a bare Baileys socket, nothing else. Creds and Signal keys live in a Map (no
 * disk, no cache layer), the socket options are the gateway's, and texts are sent one after
 * another with sendMessage. Started by socket-ceiling.ts with an IPC channel:
 *   → { qr } / { open }            pairing progress
 *   ← { send: n, jid }  → { sent: n }   n sequential texts
 *   ← { exit: true }                    exit normally
 */
import {
  Browsers,
  initAuthCreds,
  makeWASocket,
  proto,
  type AuthenticationCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type WASocket,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';

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

process.on('message', (command: { send: number; jid: string } | { exit: true }) => {
  // A normal exit (so `--cpu-prof` writes its profile), for the profiling script.
  if ('exit' in command) process.exit(0);
  void (async () => {
    for (let i = 0; i < command.send; i++) await socket!.sendMessage(command.jid, { text: `ceiling ${i}` });
    process.send?.({ sent: command.send });
  })().catch((error: unknown) => process.send?.({ error: String(error) }));
});

connect();
