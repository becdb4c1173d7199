/**
 * The two-node compose file (deploy/compose.cluster.yaml, README "Running several nodes"), read
 * as Docker Compose reads it (YAML merge keys included), since no Docker engine runs here: both
 * nodes reach the same PostgreSQL, each has its own NODE_ID and data volume, and every variable
 * they are given is one the gateway reads, with a value its config accepts.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../src/config/config.js';

interface Service {
  image?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

async function compose(): Promise<{ services: Record<string, Service> }> {
  return parse(await readFile(new URL('../../deploy/compose.cluster.yaml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, Service> };
}

describe('deploy/compose.cluster.yaml', () => {
  test('two gateway nodes on one PostgreSQL, each with its own name, volume and port', async () => {
    const { services } = await compose();
    const nodes = Object.entries(services).filter(([, s]) => s.environment?.DATABASE_URL !== undefined);
    expect(nodes.map(([name]) => name)).toEqual(['gateway-a', 'gateway-b']);
    expect(services.postgres?.image).toMatch(/^postgres:15/);
    const urls = new Set(nodes.map(([, s]) => String(s.environment?.DATABASE_URL)));
    expect(urls.size).toBe(1);
    expect([...urls][0]).toMatch(/^postgres:\/\/gateway:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/gateway$/);
    expect(new Set(nodes.map(([, s]) => s.environment?.NODE_ID)).size).toBe(2);
    expect(new Set(nodes.map(([, s]) => s.volumes?.[0]?.split(':')[0])).size).toBe(2);
    expect(new Set(nodes.map(([, s]) => s.ports?.[0])).size).toBe(2);
    for (const [, s] of nodes) expect(s.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  test('gives the nodes only variables the gateway reads, with values it accepts', async () => {
    const { services } = await compose();
    for (const name of ['gateway-a', 'gateway-b']) {
      const env = Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));
      expect(Object.keys(env).filter((key) => !CONFIG_KEYS.includes(key))).toEqual([]);
      // Compose substitutes the password; any will do for the config's own check.
      const config = loadConfig({ ...env, DATABASE_URL: env.DATABASE_URL!.replace(/\$\{[^}]+\}/, 'secret') });
      expect(config).toBeDefined();
    }
  });
});
