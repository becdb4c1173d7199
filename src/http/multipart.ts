/**
 * multer (with busboy), loaded by the first multipart request rather than at start: most clients
 * send JSON, and an idle gateway should not carry a parser it has not used (src/load-on-first-use.ts).
 */
import type Multer from 'multer';
import { loadOnFirstUse } from '../load-on-first-use.js';

const load = loadOnFirstUse<typeof Multer>('multer');
let loaded = false;

export function multer(): typeof Multer {
  loaded = true;
  return load();
}

/** A multer error; none can exist before multer was first loaded. */
export function isMulterError(error: unknown): error is Multer.MulterError {
  return loaded && error instanceof load().MulterError;
}
