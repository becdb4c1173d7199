/** Builds the real Express app around a FakeTransport, with a temp upload folder per test file. */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createApp, type RouteSpec } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createPassThroughPreparer, type MediaPreparer } from '../../src/messaging/media-preparation.js';
import { createServices, type Services } from '../../src/services.js';
import { openDatabase } from '../../src/store/database.js';
import { FakeTransport } from './fake-transport.js';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  transport: FakeTransport;
  config: Config;
  services: Services;
  uploadDir: string;
  uploadsLeft(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function buildTestApp(env: Record<string, string> = {}, options: { mediaPreparer?: MediaPreparer; extraRoutes?: RouteSpec[] } = {}): Promise<TestApp> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wa-app-'));
  const uploadDir = path.join(root, 'uploads');
  const config = loadConfig({ RATE_LIMIT_ENABLED: 'false', UPLOAD_DIR: uploadDir, DATA_DIR: path.join(root, 'data'), ...env });
  await mkdir(uploadDir, { recursive: true });
  await mkdir(config.dataDir, { recursive: true });
  const transport = new FakeTransport();
  const logger = pino({ level: 'silent' });
  const preparer = options.mediaPreparer ?? createPassThroughPreparer();
  // A real SQLite file: message records, idempotency keys and the outbox persist as in production.
  const db = openDatabase(path.join(config.dataDir, 'gateway.db'), logger);
  const services = createServices({ config, db, transport, preparer, logger });
  await services.start();
  const app = createApp({ config, transport, services, media: preparer.capabilities(), logger, extraRoutes: options.extraRoutes });
  return {
    app,
    transport,
    config,
    services,
    uploadDir,
    uploadsLeft: () => readdir(uploadDir),
    cleanup: async () => {
      await services.stop();
      db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
