/**
 * What systemd does to the gateway under deploy/wa.service, done without systemd (none runs here):
 * the unit's SystemCallFilter and RestrictAddressFamilies as a seccomp filter (libseccomp, the
 * library systemd uses, expanded with `systemd-analyze syscall-filter`), no_new_privs, no
 * capabilities, an unprivileged user. Under that, the built gateway in sandbox mode must send a text,
 * an image (sharp) and a voice note (ffmpeg, a child process under the same filter) and stop
 * cleanly on SIGTERM. And with MemoryDenyWriteExecute's rules added, Node must fail — the reason
 * the unit leaves it off. Run by scripts/systemd-sandbox-check.sh as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sandboxSends } from './sandbox-sends.js';

const NOBODY = 65534;
const FAMILIES: Record<string, number> = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16, AF_PACKET: 17 };

/** Key=Value settings of the [Service] section (a key may repeat). */
function serviceSettings(unitFile: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const line of readFileSync(unitFile, 'utf8').split('\n').map((l) => l.trim())) {
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]' && /^\w+=/.test(line)) {
      const key = line.slice(0, line.indexOf('='));
      settings.set(key, [...(settings.get(key) ?? []), line.slice(key.length + 1)]);
    }
  }
  return settings;
}

/** A @group or a system call name, expanded the way systemd expands it. */
function expand(name: string, seen = new Set<string>()): Set<string> {
  if (!name.startsWith('@')) return new Set([name]);
  if (seen.has(name)) return new Set();
  seen.add(name);
  const listed = execFileSync('systemd-analyze', ['syscall-filter', name])
    .toString()
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return new Set(listed.flatMap((entry) => [...expand(entry, seen)]));
}

/** SystemCallFilter= lines in order: an allow list, then ~ lines taking calls out of it. */
function allowedSyscalls(lines: string[]): string[] {
  let allowed = new Set<string>();
  for (const line of lines) {
    const deny = line.startsWith('~');
    const names = new Set(line.replace(/^~/, '').split(/\s+/).flatMap((n) => [...expand(n)]));
    allowed = deny ? new Set([...allowed].filter((n) => !names.has(n))) : new Set([...allowed, ...names]);
  }
  return [...allowed].sort();
}

// Drops to nobody, loads the filter with libseccomp (as systemd does: default EPERM, socket() only
// for the allowed families), then execs the command. MDWE=1 adds MemoryDenyWriteExecute's rules.
const LOADER = String.raw`
import ctypes, json, os, sys
spec = json.loads(os.environ.pop('SECCOMP_SPEC'))
lib = ctypes.CDLL('libseccomp.so.2')
class Cmp(ctypes.Structure):
    _fields_ = [('arg', ctypes.c_uint), ('op', ctypes.c_int), ('datum_a', ctypes.c_uint64), ('datum_b', ctypes.c_uint64)]
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Cmp)]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
ALLOW, ERRNO = 0x7fff0000, lambda e: 0x00050000 | e
EQ, MASKED_EQ = 4, 7
os.setgroups([]); os.setgid(spec['uid']); os.setuid(spec['uid'])
ctx = lib.seccomp_init(ERRNO(1))
def rule(action, name, *cmps):
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr < 0: return
    arr = (Cmp * len(cmps))(*[Cmp(*c) for c in cmps]) if cmps else None
    rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr)
    if rc != 0: sys.exit('seccomp rule %s: %d' % (name, rc))
PROT_WRITE, PROT_EXEC = 2, 4
# MemoryDenyWriteExecute as systemd does it: mmap never writable and executable at once, mprotect
# never to executable; every other use of them stays allowed.
MDWE_ALLOWED = {'mmap': [0, PROT_WRITE, PROT_EXEC], 'mprotect': [0], 'pkey_mprotect': [0]}
for name in spec['syscalls']:
    if name == 'socket': continue
    if spec['mdwe'] and name in MDWE_ALLOWED:
        mask = PROT_WRITE | PROT_EXEC if name == 'mmap' else PROT_EXEC
        for value in MDWE_ALLOWED[name]: rule(ALLOW, name, (2, MASKED_EQ, mask, value))
        continue
    rule(ALLOW, name)
for family in spec['families']:
    rule(ALLOW, 'socket', (0, EQ, family, 0))
if lib.seccomp_load(ctx) != 0: sys.exit('seccomp_load failed')
os.execvp(sys.argv[1], sys.argv[1:])
`;

function underUnit(argv: string[], env: Record<string, string>, spec: { syscalls: string[]; families: number[]; mdwe: boolean }) {
  return spawn('python3', ['-c', LOADER, ...argv], {
    env: { ...env, SECCOMP_SPEC: JSON.stringify({ ...spec, uid: NOBODY }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function main(): Promise<void> {
  const unit = serviceSettings('deploy/wa.service');
  const syscalls = allowedSyscalls(unit.get('SystemCallFilter') ?? []);
  const families = (unit.get('RestrictAddressFamilies')?.at(-1) ?? '').split(/\s+/).map((f) => FAMILIES[f] ?? NaN);
  if (syscalls.length === 0 || families.some(Number.isNaN)) throw new Error('deploy/wa.service has no SystemCallFilter or an unknown address family');
  console.log(`${syscalls.length} system calls allowed; socket() for families ${families.join(', ')}; running as uid ${NOBODY}`);

  const mdwe = underUnit([process.execPath, '-e', 'console.log(JSON.stringify([1, 2].map((x) => x * 2)))'], { PATH: process.env.PATH ?? '' }, { syscalls, families, mdwe: true });
  const mdweExit = await new Promise<number | null>((resolve) => mdwe.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  console.log(`with MemoryDenyWriteExecute's rules added, node exits with ${mdweExit} (0 would mean the unit could enable it)`);
  if (mdweExit === 0) throw new Error('node runs under MemoryDenyWriteExecute: the unit could enable it');

  const root = mkdtempSync(path.join(tmpdir(), 'wa-systemd-'));
  chownSync(root, NOBODY, NOBODY);
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: root,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: path.join(root, 'data'),
    SESSION_DIR: path.join(root, 'session'),
    UPLOAD_DIR: path.join(root, 'uploads'),
  };
  const gateway = underUnit([process.execPath, 'dist/src/sandbox.js'], env, { syscalls, families, mdwe: false });
  let output = '';
  gateway.stdout.on('data', (d: Buffer) => (output += d.toString()));
  gateway.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
  try {
    await sandboxSends(`http://127.0.0.1:${port}`);
  } catch (error) {
    console.error(output);
    throw error;
  } finally {
    gateway.kill('SIGTERM');
  }
  const code = await exited;
  rmSync(root, { recursive: true, force: true });
  if (code !== 0) throw new Error(`SIGTERM: exit code ${code}\n${output}`);
  if (/EPERM|EAFNOSUPPORT|Operation not permitted/.test(output)) console.log(`note: the gateway logged a refused call:\n${output}`);
  console.log('stopped on SIGTERM with exit code 0\nsystemd sandbox check passed');
}

main().catch((error: unknown) => {
  console.error(`systemd sandbox check FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
