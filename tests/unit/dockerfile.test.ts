/**
 * The image's invariants, read from the Dockerfile itself (the slow proof that its recipe works is
 * `npm run check:docker`): a non-root user, a health check without curl, the state on one volume,
 * no secrets in ENV, and a .dockerignore that keeps secrets, state and installed output out.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { dockerignore, imageOf, parseDockerfile } from '../../scripts/dockerfile.js';

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('Dockerfile', () => {
  test('runs the gateway as a non-root user on a slim Node 20 image, with its state on one volume', async () => {
    const stages = parseDockerfile(await read('Dockerfile'));
    const image = imageOf(stages);
    expect(image.stage.base).toBe('node:20-bookworm-slim');
    expect(['root', '0', '']).not.toContain(image.user);
    expect(image.cmd).toEqual(['node', 'dist/src/main.js']);
    const volume = image.volumes[0];
    expect(image.volumes).toHaveLength(1);
    for (const key of ['DATA_DIR', 'SESSION_DIR', 'UPLOAD_DIR']) expect(image.env[key]?.startsWith(`${volume}`)).toBe(true);
    expect(Object.keys(image.env).filter((k) => /KEY|SECRET|TOKEN|PASSWORD/i.test(k))).toEqual([]);
    // No npm install in the image itself: its node_modules come from a --omit=dev stage.
    const runs = image.stage.instructions.flatMap((i) => (i.kind === 'RUN' ? [i.command] : []));
    expect(runs.join(' ')).not.toMatch(/npm (ci|install)/);
    const prodStage = stages.find((s) => s.instructions.some((i) => i.kind === 'RUN' && i.command.includes('npm ci --omit=dev')));
    expect(image.stage.instructions).toContainEqual(expect.objectContaining({ kind: 'COPY', from: prodStage?.name, sources: ['/app/node_modules'] }));
  });

  test('checks health with node against /api/health', async () => {
    const { healthcheck } = imageOf(parseDockerfile(await read('Dockerfile')));
    expect(healthcheck?.command[0]).toBe('node');
    expect(healthcheck?.command.join(' ')).toContain('/api/health');
  });

  test('.dockerignore keeps secrets, state and installed output out of the build context', async () => {
    const ignored = dockerignore(await read('.dockerignore'));
    for (const path of [
      '.env',
      '.env.production',
      'data/gateway.db',
      'session/creds.json',
      'uploads/x.jpg',
      'node_modules/express/index.js',
      'dist/src/main.js',
      '.git/HEAD',
    ]) {
      expect([path, ignored(path)]).toEqual([path, true]);
    }
    for (const path of ['.env.example', 'src/main.ts', 'package.json', 'package-lock.json']) expect([path, ignored(path)]).toEqual([path, false]);
  });

  test('the parser refuses instructions the recipe check cannot perform', () => {
    expect(() => parseDockerfile('FROM node:20-bookworm-slim\nADD https://example.com/x /x\n')).toThrow(/does not perform ADD/);
    expect(() => parseDockerfile('FROM node:20-bookworm-slim\nENV A=$B\n')).toThrow(/substitution/);
  });
});
