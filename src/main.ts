/**
 * Composition root for production: config → logger → media → WhatsApp transport → app → listen →
 * shutdown. Nothing else reads the environment.
 */
import 'dotenv/config';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { startGateway } from './gateway.js';
import { trimMemoryWhenIdle } from './lifecycle/idle-memory.js';
import { installLastResort } from './lifecycle/last-resort.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every key and its default.\n`);
      process.exit(78); // EX_CONFIG: systemd will not hammer-restart a misconfigured service
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  installLastResort({ logger });
  const gateway = await startGateway({ config, logger });
  trimMemoryWhenIdle({ logger: logger.child({ module: 'memory' }) });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void gateway.shutdown.begin(signal));
}

// A start that fails (port taken, unreadable store) must end the process, not be mistaken by the
// last-resort handler for a stray rejection of a serving gateway.
main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
