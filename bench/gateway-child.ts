/**
 * The production gateway (the same startGateway as src/main.ts, the same environment read by
 * loadConfig) with one bench seam: each session connects to its own emulated account. The
 * emulator serves one account per instance, so the sessions benchmark starts one per session and
 * tells this child where each one is.
 *
 *   GATEWAY_BENCH_ENDPOINTS=/path/endpoints.json node dist/bench/gateway-child.js
 *
 * The file maps session names to { "wsUrl": "ws://…", "mediaCaPem": "-----BEGIN…" }; `default`
 * is the default session's (WA_WS_URL is then ignored). A session missing from the map connects
 * to the default's endpoint. The variable is read only here: src/ has no such seam, and this file
 * is not what `npm start`, the Docker image or the systemd unit run.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/config.js';
import { startGateway } from '../src/gateway.js';
import { installLastResort } from '../src/lifecycle/last-resort.js';
import { createLogger } from '../src/logger.js';
import type { WhatsAppEndpoint } from '../src/sessions/session-runtime.js';

const ENDPOINTS_VARIABLE = 'GATEWAY_BENCH_ENDPOINTS';

function readEndpoints(file: string | undefined): Record<string, WhatsAppEndpoint> {
  if (!file) throw new Error(`${ENDPOINTS_VARIABLE} must name the JSON file of session endpoints`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, WhatsAppEndpoint>;
}

async function main(): Promise<void> {
  const endpoints = readEndpoints(process.env[ENDPOINTS_VARIABLE]);
  const fallback = endpoints.default;
  if (!fallback) throw new Error(`${ENDPOINTS_VARIABLE}: the map needs a "default" entry`);
  const config = loadConfig({ ...process.env, WA_WS_URL: fallback.wsUrl });
  const logger = createLogger(config.logLevel);
  installLastResort({ logger });
  const gateway = await startGateway({
    config,
    logger,
    mediaCaPem: fallback.mediaCaPem,
    endpointFor: (session) => Promise.resolve(endpoints[session] ?? fallback),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void gateway.shutdown.begin(signal));
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
