/** Builds the real Express app around a FakeTransport, with a temp upload folder per test file. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createPassThroughPreparer, type MediaPreparer } from '../../src/messaging/media-preparation.js';
import { FakeTransport } from './fake-transport.js';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  transport: FakeTransport;
  config: Config;
  uploadDir: string;
  uploadsLeft(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function buildTestApp(env: Record<string, string> = {}, options: { mediaPreparer?: MediaPreparer } = {}): Promise<TestApp> {
  const uploadDir = await mkdtemp(path.join(os.tmpdir(), 'wa-uploads-'));
  const config = loadConfig({ RATE_LIMIT_ENABLED: 'false', UPLOAD_DIR: uploadDir, ...env });
  const transport = new FakeTransport();
  const app = createApp({
    config,
    transport,
    mediaPreparer: options.mediaPreparer ?? createPassThroughPreparer(),
    logger: pino({ level: 'silent' }),
  });
  return {
    app,
    transport,
    config,
    uploadDir,
    uploadsLeft: () => readdir(uploadDir),
    cleanup: () => rm(uploadDir, { recursive: true, force: true }),
  };
}
