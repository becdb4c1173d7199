/**
 * Sandbox mode: the whole gateway against an in-process WhatsApp emulator that pairs itself at
 * start. After a logout it stays unlinked, so linking can be tried by hand: the emulated phone scans
 * the QR (POST /api/sandbox/scan-qr) or types a pairing code (POST /api/sandbox/enter-pairing-code).
 * Nothing here can reach real WhatsApp: the WebSocket URL is the emulator's loopback address and
 * its data (credentials, records) lives in its own folder, wiped at every start.
 */
import 'dotenv/config';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { startGateway } from './gateway.js';
import { installLastResort } from './lifecycle/last-resort.js';
import { createLogger } from './logger.js';
import { sandboxRoutes } from './sandbox/sandbox-routes.js';

async function main(): Promise<void> {
  let base: Config;
  try {
    base = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(base.logLevel).child({ sandbox: true });
  installLastResort({ logger });
  const emulator = await startEmulator({ logger: logger.child({ module: 'emulator' }, { level: 'warn' }) });
  // Its own data folder, never the production one: the sandbox's store (login to the emulator,
  // records, outbox) must not touch a real account's credentials. Wiped at each start, since the
  // emulator forgets every linked device when it stops.
  const dataDir = path.join(base.dataDir, 'sandbox');
  await rm(dataDir, { recursive: true, force: true });
  const config: Config = Object.freeze({
    ...base,
    sandbox: true,
    environment: 'sandbox',
    waWebSocketUrl: emulator.wsUrl,
    dataDir,
    sessionDir: path.join(dataDir, 'session'),
    // The emulator answers in milliseconds; a missed query should fail fast, not in a minute.
    waQueryTimeoutMs: 10_000,
    // Trying things out should never run into the production limit; GET / says it is off.
    rateLimit: { ...base.rateLimit, enabled: false },
  });

  const transport: { currentQr(): string | null } = { currentQr: () => null };
  // Every other session gets an emulated phone of its own (a distinct account), which scans the
  // session's first QR like the default one does.
  const phones = new Map<string, Emulator>();
  const gateway = await startGateway({
    config,
    logger,
    mediaCaPem: emulator.mediaCaPem,
    endpointFor: async (session) => {
      const phone = await startEmulator({
        logger: logger.child({ module: 'emulator', session }, { level: 'warn' }),
        account: {
          phone: `6281111${String(phones.size + 2).padStart(6, '0')}`,
          lid: `9${String(phones.size + 2).padStart(10, '0')}`,
          pushName: `Sandbox ${session}`,
        },
      });
      phones.set(session, phone);
      return { wsUrl: phone.wsUrl, mediaCaPem: phone.mediaCaPem };
    },
    onSessionOpened: (runtime) => {
      const phone = phones.get(runtime.name);
      runtime.transport.events.once('qr', (qr) => {
        phone?.scanQr(qr).catch((error: unknown) => logger.error({ err: error, session: runtime.name }, 'sandbox phone could not scan the QR'));
      });
    },
    printQr: false,
    extraRoutes: sandboxRoutes(emulator, config.defaultCountryCode, () => transport.currentQr()),
  });
  transport.currentQr = () => gateway.transport.currentQr();
  let announced = false;
  // The emulated phone scans the first QR, so the sandbox is ready at once. Later QRs (after a
  // logout) are left for the user: scan-qr, or a pairing code typed with enter-pairing-code.
  gateway.transport.events.on('qr', (qr) => {
    if (announced) return;
    emulator.scanQr(qr).catch((error: unknown) => logger.error({ err: error }, 'sandbox phone could not scan the QR'));
  });
  gateway.transport.events.on('connection', (status) => {
    if (!status.connected || announced) return;
    announced = true;
    logger.info(
      { url: gateway.url, account: emulator.account.phone },
      'SANDBOX ready: linked to the emulated phone. Try:  curl -X POST ' +
        `${gateway.url}/api/send-message -H "Content-Type: application/json" -d '{"phone":"6281234567890","message":"Hello"}'` +
        `  then  curl ${gateway.url}/api/sandbox/messages`,
    );
  });
  logger.warn('SANDBOX MODE: messages go to a local WhatsApp emulator, never to real WhatsApp (use `npm start` for production)');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void gateway.shutdown.begin(signal);
    });
  }
  // Stop the emulator after the gateway has closed its socket.
  process.on('exit', () => {
    void emulator.stop();
    for (const phone of phones.values()) void phone.stop();
  });
}

// A start that fails (port taken, unreadable store) must end the process, not be mistaken by the
// last-resort handler for a stray rejection of a serving gateway.
main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
