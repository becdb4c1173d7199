/**
 * Performs the Dockerfile's recipe without a Docker engine, as `docker build` and `docker run`
 * would, and fails where the image would fail. Each stage is a chroot over this machine's Debian 12
 * and Node 20 (what node:20-bookworm[-slim] are), with its own /app and /etc; the context is a
 * `git archive` of HEAD filtered by .dockerignore. Every instruction comes from the Dockerfile
 * itself (scripts/dockerfile.ts), so the two cannot drift apart. Then, as the image's USER with
 * the image's ENV: the gateway starts, the HEALTHCHECK passes, SIGTERM stops it cleanly; and the
 * same image in sandbox mode sends a text, an image (sharp) and a voice note (ffmpeg).
 * Run by scripts/docker-recipe-check.sh (root, in a private mount namespace).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { dockerignore, imageOf, parseDockerfile, type Stage } from './dockerfile.js';
import { sandboxSends } from './sandbox-sends.js';

/** Base images this machine can stand in for; slim ones have no compilers and no curl. */
const BASES: Record<string, { slim: boolean }> = { 'node:20-bookworm': { slim: false }, 'node:20-bookworm-slim': { slim: true } };
const NOT_IN_SLIM = ['python3', 'make', 'g++', 'gcc', 'cc', 'c++', 'curl', 'wget'];
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD/i;

const fail = (text: string): never => {
  throw new Error(text);
};
const repo = process.cwd();
// Made and removed by the .sh wrapper: removal must wait until this namespace and its mounts are gone.
const work = process.argv[2] ?? fail('usage: docker-recipe-check.js <empty work folder>');
const step = (text: string) => console.log(`\n== ${text}`);
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();

function preconditions(): void {
  if (!existsSync('/etc/debian_version') || !readFileSync('/etc/debian_version', 'utf8').startsWith('12')) fail('this machine is not Debian 12 (bookworm)');
  if (!process.version.startsWith('v20.')) fail(`Node ${process.version} here; the image has Node 20`);
}

/** A fresh root file system for one stage: this machine's /usr read-only, its own /etc, /app, /tmp. */
function makeRoot(stage: Stage): string {
  const base = BASES[stage.base] ?? fail(`FROM ${stage.base}: the recipe check can stand in only for ${Object.keys(BASES).join(', ')}`);
  const root = path.join(work, 'stages', stage.name);
  for (const dir of ['usr', 'dev', 'proc', 'sys', 'tmp', 'root', 'home/node', 'run', 'var/tmp']) mkdirSync(path.join(root, dir), { recursive: true });
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) symlinkSync(`usr/${link}`, path.join(root, link));
  sh('mount', ['--bind', '/usr', path.join(root, 'usr')]);
  sh('mount', ['-o', 'remount,bind,ro', path.join(root, 'usr')]);
  for (const dir of ['dev', 'proc']) sh('mount', ['--rbind', `/${dir}`, path.join(root, dir)]);
  sh('mount', ['--bind', '-o', 'ro', '/sys', path.join(root, 'sys')]);
  execFileSync('chmod', ['1777', path.join(root, 'tmp'), path.join(root, 'var/tmp')]);
  cpSync('/etc', path.join(root, 'etc'), { recursive: true, dereference: false, verbatimSymlinks: true });
  // The node images have a `node` user (1000:1000); this machine may not.
  if (!/^node:/m.test(readFileSync(path.join(root, 'etc/passwd'), 'utf8'))) {
    appendFileSync(path.join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
    appendFileSync(path.join(root, 'etc/group'), 'node:x:1000:\n');
  }
  chownSync(path.join(root, 'home/node'), 1000, 1000);
  if (base.slim) {
    for (const tool of NOT_IN_SLIM) {
      const file = path.join(root, 'usr/bin', tool);
      if (existsSync(file)) sh('mount', ['--bind', '/dev/null', file]);
    }
  } else if (existsSync('/root/.npm')) {
    // npm's cache, so the two `npm ci` do not download everything twice.
    mkdirSync(path.join(root, 'root/.npm'));
    sh('mount', ['--bind', '/root/.npm', path.join(root, 'root/.npm')]);
  }
  return root;
}

/** USER name (or uid), from the stage's own /etc/passwd. */
function userIds(root: string, user: string): { uid: number; gid: number; home: string } {
  const name = user.split(':')[0];
  const line = readFileSync(path.join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name || l.split(':')[2] === name);
  const [, , uid, gid, , home] = (line ?? fail(`USER ${user}: no such user in the stage`)).split(':');
  return { uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

/** argv run inside the stage's root as `user`, in `workdir`, with exactly `env`. */
function inRoot(root: string, user: string, workdir: string, argv: string[]): string[] {
  const { uid, gid } = userIds(root, user);
  const drop = uid === 0 ? [] : ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--no-new-privs'];
  return ['chroot', root, ...drop, '/bin/sh', '-c', 'cd "$0" && exec "$@"', workdir, ...argv];
}

/** Files of the build context under `source`, without what .dockerignore excludes. */
function copyFromContext(context: string, ignored: (p: string) => boolean, source: string, dest: string): void {
  const from = path.join(context, source);
  if (!existsSync(from)) fail(`COPY ${source}: not in the build context`);
  const walk = (rel: string) => {
    if (ignored(rel)) return;
    const abs = path.join(context, rel);
    if (statSync(abs).isDirectory()) for (const entry of readdirSync(abs)) walk(path.posix.join(rel, entry));
    else {
      const target = statSync(from).isDirectory() ? path.join(dest, path.relative(source, rel)) : dest;
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(abs, target);
    }
  };
  if (ignored(path.normalize(source))) fail(`COPY ${source}: excluded by .dockerignore`);
  walk(path.normalize(source));
}

function build(stages: Stage[], context: string, ignored: (p: string) => boolean): Map<string, string> {
  const roots = new Map<string, string>();
  for (const stage of stages) {
    step(`stage ${stage.name} (FROM ${stage.base})`);
    const root = makeRoot(stage);
    roots.set(stage.name, root);
    let workdir = '/';
    let user = 'root';
    const env: Record<string, string> = { PATH: IMAGE_PATH, HOME: '/root' };
    // node-gyp fetches Node's headers from nodejs.org, which this machine cannot reach; the
    // headers of this very Node 20 are installed, and better-sqlite3 compiles against them.
    if (!BASES[stage.base]?.slim && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
    for (const i of stage.instructions) {
      const inside = (p: string) => path.join(root, path.posix.resolve(workdir, p));
      switch (i.kind) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, i.path);
          mkdirSync(inside('.'), { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of i.vars) env[k] = v;
          break;
        case 'USER':
          user = i.user;
          break;
        case 'COPY':
          for (const source of i.sources) {
            const dest = i.dest.endsWith('/') && !source.endsWith('/') ? path.posix.join(i.dest, path.posix.basename(source)) : i.dest;
            if (i.from) {
              const other = roots.get(i.from) ?? fail(`COPY --from=${i.from}: no such earlier stage`);
              cpSync(path.join(other, source), inside(dest), { recursive: true, verbatimSymlinks: true });
            } else copyFromContext(context, ignored, source, inside(dest));
            if (i.chown) {
              const { uid, gid } = userIds(root, i.chown);
              sh('chown', ['-R', `${uid}:${gid}`, inside(dest)]);
            }
          }
          break;
        case 'RUN': {
          console.log(`RUN ${i.command}`);
          const argv = inRoot(root, user, workdir, ['/bin/sh', '-c', i.command]);
          const run = spawnSync(argv[0] ?? '', argv.slice(1), { stdio: 'inherit', env });
          if (run.status !== 0) fail(`RUN ${i.command}: exit ${run.status}`);
          break;
        }
        default:
          break; // VOLUME, EXPOSE, HEALTHCHECK, CMD describe the container, read by imageOf
      }
    }
  }
  return roots;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `docker run -e PORT=… -e HOST=127.0.0.1 image [argv]`: the container's process, as its USER. */
async function run(root: string, image: ReturnType<typeof imageOf>, argv: string[], port: number) {
  // As `docker run -e`: loopback only, and WhatsApp pointed at a closed local port (the sandbox
  // replaces it with its emulator), so the check never contacts real WhatsApp.
  const overrides = { PORT: String(port), HOST: '127.0.0.1', WA_WS_URL: 'ws://127.0.0.1:9/ws/chat' };
  const env = { PATH: IMAGE_PATH, HOME: userIds(root, image.user).home, ...image.env, ...overrides };
  const full = inRoot(root, image.user, image.workdir, argv);
  const child = spawn(full[0] ?? '', full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const health = image.healthcheck ?? fail('the image has no HEALTHCHECK');
  const probe = inRoot(root, image.user, image.workdir, health.command);
  const deadline = Date.now() + 90_000;
  while (spawnSync(probe[0] ?? '', probe.slice(1), { env, stdio: 'ignore' }).status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) fail(`the HEALTHCHECK never passed; the container printed:\n${output}`);
    await sleep(500);
  }
  return { child, env, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

async function main(): Promise<void> {
  preconditions();
  const commit = sh('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']).trim();
  step(`build context: git archive of HEAD (${commit}), filtered by .dockerignore`);
  const context = path.join(work, 'context');
  mkdirSync(context);
  execFileSync('sh', ['-c', `git -C "${repo}" archive HEAD | tar -x -C "${context}"`], { stdio: 'inherit' });
  const stages = parseDockerfile(readFileSync(path.join(context, 'Dockerfile'), 'utf8'));
  const ignored = dockerignore(existsSync(path.join(context, '.dockerignore')) ? readFileSync(path.join(context, '.dockerignore'), 'utf8') : '');
  const roots = build(stages, context, ignored);

  const image = imageOf(stages);
  const root = roots.get(image.stage.name) ?? fail('no final stage');
  step(`image checks (USER ${image.user}, VOLUME ${image.volumes.join(' ')})`);
  if (userIds(root, image.user).uid === 0) fail('the image runs as root');
  const secrets = Object.keys(image.env).filter((k) => SECRET_NAME.test(k));
  if (secrets.length > 0) fail(`secrets baked into the image's ENV: ${secrets.join(', ')}`);
  if (existsSync(path.join(root, image.workdir, '.env'))) fail('a .env file is baked into the image');
  for (const dir of ['DATA_DIR', 'SESSION_DIR']) {
    const value = image.env[dir] ?? fail(`the image does not set ${dir}`);
    if (!image.volumes.some((v) => value === v || value.startsWith(`${v}/`))) fail(`${dir}=${value} is not on a VOLUME`);
  }
  // The lockfile marks packages needed only for development (dev deps and theirs): none may ship.
  const lock = JSON.parse(readFileSync(path.join(context, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([where, p]) => p.dev === true && where.startsWith('node_modules/'));
  const devInstalled = devOnly.map(([where]) => where).filter((where) => existsSync(path.join(root, image.workdir, where)));
  if (devInstalled.length > 0) fail(`dev dependencies in the image: ${devInstalled.join(', ')}`);
  const cmd = image.cmd ?? fail('the image has no CMD');

  step(`docker run: ${cmd.join(' ')}`);
  const port = await freePort();
  const gateway = await run(root, image, cmd, port);
  console.log(`HEALTHCHECK passes; /api/health: ${await (await fetch(`http://127.0.0.1:${port}/api/health`)).text()}`);
  const code = await stop(gateway.child);
  if (code !== 0) fail(`SIGTERM: exit code ${code}\n${gateway.output()}`);
  console.log('stopped on SIGTERM with exit code 0');

  const sandboxCmd = [...cmd.slice(0, -1), (cmd.at(-1) ?? '').replace(/main\.js$/, 'sandbox.js')];
  step(`docker run: ${sandboxCmd.join(' ')}`);
  const sandbox = await run(root, image, sandboxCmd, port);
  try {
    await sandboxSends(`http://127.0.0.1:${port}`);
  } catch (error) {
    console.error(sandbox.output());
    throw error;
  } finally {
    await stop(sandbox.child);
  }
  step('docker recipe check passed');
}

main().catch((error: unknown) => {
    console.error(`\ndocker recipe check FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
