/**
 * Locating and running the ffmpeg/ffprobe binaries that ship as npm packages (no system packages).
 * Processes are spawned without a shell, with an argument vector, and are SIGKILLed when the job's
 * AbortSignal fires, so a stuck decode can never outlive its time limit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
}

export interface ToolStatus {
  /** Usable binaries, or null with the reason when one of them is missing or broken. */
  tools: MediaTools | null;
  problem?: string;
}

/** Encoders the conversions rely on; a build without them cannot produce what WhatsApp plays. */
const REQUIRED_ENCODERS = ['libopus', 'libx264', 'aac'];

/**
 * Resolves the binaries (explicit paths win over the npm packages) and proves they run. Runs
 * synchronously once at start: it is a few milliseconds, and it lets `capabilities()` stay a plain
 * getter that GET / can call on every request.
 */
export function detectMediaTools(explicit: Partial<MediaTools> = {}): ToolStatus {
  try {
    const ffmpeg = ensureExecutable(explicit.ffmpeg ?? installerPath('@ffmpeg-installer/ffmpeg'));
    const ffprobe = ensureExecutable(explicit.ffprobe ?? installerPath('@ffprobe-installer/ffprobe'));
    const encoders = spawnSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000 });
    if (encoders.status !== 0) return { tools: null, problem: `ffmpeg does not run (${encoders.error?.message ?? `exit ${encoders.status}`})` };
    const missing = REQUIRED_ENCODERS.filter((name) => !new RegExp(`^\\s*[AV]\\S*\\s+${name}\\s`, 'm').test(encoders.stdout));
    if (missing.length > 0) return { tools: null, problem: `ffmpeg lacks encoders: ${missing.join(', ')}` };
    const probe = spawnSync(ffprobe, ['-version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status !== 0) return { tools: null, problem: `ffprobe does not run (${probe.error?.message ?? `exit ${probe.status}`})` };
    return { tools: { ffmpeg, ffprobe } };
  } catch (error) {
    return { tools: null, problem: error instanceof Error ? error.message : String(error) };
  }
}

function installerPath(packageName: string): string {
  // The installer packages throw at require time on unsupported platforms; that must become a
  // "conversion unavailable" status, not a crash at import.
  const require = createRequire(import.meta.url);
  const installer = require(packageName) as { path: string };
  return installer.path;
}

/**
 * The npm tarball of @ffprobe-installer ships ffprobe as mode 0744: only the owner (often root,
 * who ran npm install) may execute it. A copy with 0755 in a private directory fixes that for the
 * service user without touching node_modules.
 */
function ensureExecutable(path: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    accessSync(path, constants.R_OK);
  }
  const dir = join(tmpdir(), `whatsapp-gateway-bin-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const copy = join(dir, basename(path));
  const stale = (() => {
    try {
      return statSync(copy).size !== statSync(path).size;
    } catch {
      return true;
    }
  })();
  if (stale) copyFileSync(path, copy);
  chmodSync(copy, 0o755);
  return copy;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Streams stdout to the caller (raw PCM for the waveform) instead of collecting it. */
  onStdout?: (chunk: Buffer) => void;
  /** Collects stdout up to this many bytes (ffprobe JSON, a thumbnail frame). */
  maxStdoutBytes?: number;
}

export interface RunResult {
  exitCode: number | null;
  stdout: Buffer;
  /** The last few KB of stderr: enough to say why a decode failed. */
  stderr: string;
}

const STDERR_TAIL = 4096;

/** Runs a tool; resolves whatever the exit code, rejects only on abort (with the signal's reason). */
export function runTool(binary: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let aborted = false;

    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (options.onStdout) {
        options.onStdout(chunk);
        return;
      }
      const limit = options.maxStdoutBytes ?? 0;
      if (stdoutBytes + chunk.length <= limit) stdoutChunks.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL);
    });
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (exitCode) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        reject(signal?.reason ?? new Error('aborted'));
        return;
      }
      resolve({ exitCode, stdout: Buffer.concat(stdoutChunks), stderr: stderr.trim() });
    });
  });
}

/** Arguments every ffmpeg run starts with: quiet, never prompt, never read stdin. */
export const FFMPEG_BASE_ARGS = ['-hide_banner', '-nostdin', '-v', 'error', '-y'] as const;
