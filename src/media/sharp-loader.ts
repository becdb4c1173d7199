/**
 * sharp is a native module: if its binary is missing for this platform the import throws. Loading
 * it here, synchronously and once, turns that into "image conversion unavailable" instead of a
 * gateway that cannot start.
 */
import { createRequire } from 'node:module';
import type sharpDefault from 'sharp';

export type SharpModule = typeof sharpDefault;

export function loadSharp(): { sharp: SharpModule | null; problem?: string } {
  try {
    const require = createRequire(import.meta.url);
    const sharp = require('sharp') as SharpModule;
    // Conversions run in our own bounded pool; libvips' cache only holds memory we never reuse.
    sharp.cache(false);
    return { sharp };
  } catch (error) {
    return { sharp: null, problem: error instanceof Error ? error.message : String(error) };
  }
}
