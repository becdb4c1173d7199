/**
 * sharp is a native module of about 29 MB resident once loaded, and most gateways never convert
 * an image. So it is loaded on the first image or sticker, not at start; what start-up reports
 * (capabilities, /api/status) comes from finding the package and the native binary for this
 * platform on disk, the same places sharp itself loads them from. If the binary is missing or
 * broken the load throws; that becomes "image conversion unavailable" instead of a crash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type sharpDefault from 'sharp';

export type SharpModule = typeof sharpDefault;

const require = createRequire(import.meta.url);

/** sharp's own name for this platform: `${platform}${libc}-${arch}`, libc '' for glibc and 'musl' for musl. */
function runtimePlatform(): string {
  let libc = '';
  if (process.platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    if (!header?.glibcVersionRuntime) libc = 'musl';
  }
  return `${process.platform}${libc}-${process.arch}`;
}

/** Whether sharp and a native binary for this platform are installed, without loading either. */
export function findSharp(): { available: boolean; problem?: string } {
  let entry: string;
  try {
    entry = require.resolve('sharp');
  } catch (error) {
    return { available: false, problem: error instanceof Error ? error.message : String(error) };
  }
  const platform = runtimePlatform();
  const fromSharp = createRequire(entry);
  // sharp exports no package.json; its folder is the nearest one above the entry file.
  let packageDir = dirname(entry);
  while (!existsSync(join(packageDir, 'package.json')) && dirname(packageDir) !== packageDir) packageDir = dirname(packageDir);
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const candidates = [
    () => existsSync(join(packageDir, 'src', 'build', 'Release', `sharp-${platform}-${version}.node`)),
    () => existsSync(join(packageDir, 'src', 'build', 'Release', `sharp-wasm32-${version}.node`)),
    () => existsSync(fromSharp.resolve(`@img/sharp-${platform}/sharp.node`)),
    () => existsSync(fromSharp.resolve('@img/sharp-wasm32/sharp.node')),
  ];
  const found = candidates.some((check) => {
    try {
      return check();
    } catch {
      return false;
    }
  });
  return found ? { available: true } : { available: false, problem: `sharp has no native binary for ${platform} installed` };
}

let loaded: { sharp: SharpModule | null; problem?: string } | undefined;

/** Loads sharp once, on first use. */
export function loadSharp(): { sharp: SharpModule | null; problem?: string } {
  if (loaded) return loaded;
  try {
    const sharp = require('sharp') as SharpModule;
    // Conversions run in our own bounded pool; libvips' cache only holds memory we never reuse.
    sharp.cache(false);
    loaded = { sharp };
  } catch (error) {
    loaded = { sharp: null, problem: error instanceof Error ? error.message : String(error) };
  }
  return loaded;
}
