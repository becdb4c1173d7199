/**
 * deploy/wa.service keeps its sandbox: the hardening settings are present, and the folders it lets
 * the gateway write are exactly the configured defaults and the ones the README creates — a new
 * folder the gateway writes would otherwise fail only on a real server, with EROFS.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../src/config/config.js';

/** systemd's unit syntax: [Section], Key=Value lines (a key may repeat), # comments. */
async function readUnit(file: string): Promise<Map<string, string[]>> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of (await readFile(file, 'utf8')).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

describe('deploy/wa.service', () => {
  const unitFile = new URL('../../deploy/wa.service', import.meta.url).pathname;

  test('runs sandboxed as its own user, with a restart policy and a start limit', async () => {
    const unit = await readUnit(unitFile);
    const one = (key: string) => unit.get(key)?.at(-1);
    expect(one('Service.User')).toBe('wa');
    expect(one('Service.Group')).toBe('wa');
    expect(one('Service.Restart')).toBe('on-failure');
    expect(one('Service.RestartPreventExitStatus')).toBe('78');
    expect(Number(one('Unit.StartLimitIntervalSec'))).toBeGreaterThan(0);
    expect(Number(one('Unit.StartLimitBurst'))).toBeGreaterThan(0);
    expect(Number(one('Service.LimitNOFILE'))).toBeGreaterThanOrEqual(4096);
    for (const key of [
      'NoNewPrivileges',
      'PrivateTmp',
      'PrivateDevices',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectKernelLogs',
      'ProtectControlGroups',
      'ProtectClock',
      'ProtectHostname',
      'RestrictNamespaces',
      'RestrictRealtime',
      'RestrictSUIDSGID',
      'LockPersonality',
    ]) {
      expect([key, one(`Service.${key}`)]).toEqual([key, 'true']);
    }
    expect(one('Service.ProtectSystem')).toBe('strict');
    expect(one('Service.ProtectHome')).toBe('true');
    expect(one('Service.CapabilityBoundingSet')).toBe('');
    expect(one('Service.UMask')).toBe('0077');
    expect(one('Service.RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    expect(unit.get('Service.SystemCallFilter')).toContain('@system-service');
    // V8's JIT and WebAssembly need writable-executable memory: this setting would stop Node.
    expect(unit.has('Service.MemoryDenyWriteExecute')).toBe(false);
  });

  test('may write exactly the default data, session and upload folders, which the README creates for the service user', async () => {
    const unit = await readUnit(unitFile);
    const workingDirectory = unit.get('Service.WorkingDirectory')?.at(-1) ?? '';
    const writable = (unit.get('Service.ReadWritePaths') ?? []).flatMap((v) => v.split(/\s+/)).sort();
    const defaults = loadConfig({});
    const configured = [defaults.dataDir, defaults.sessionDir, defaults.uploadDir].map((dir) => path.resolve(workingDirectory, dir)).sort();
    expect(writable).toEqual(configured);

    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`git clone <this repo> ${workingDirectory}`);
    const created = /sudo install -d -o wa -g wa -m 0700 ([^\n]+)/.exec(readme)?.[1]?.split(/\s+/) ?? [];
    expect(created.map((dir) => path.resolve(workingDirectory, dir)).sort()).toEqual(writable);
    expect(readme).toMatch(/install -o wa -g wa -m 0600 \.env\.example \.env/);
  });
});
