/**
 * The content of sent messages, encrypted at rest with AES-256-GCM, the message's WhatsApp id bound
 * in as associated data (a row copied under another id does not open). The key is derived from
 * MESSAGE_CONTENT_KEY when set, else a random key kept in DATA_DIR/content.key (mode 0600, made on
 * first start). Losing or changing the key costs only the content kept so far: retry receipts for
 * messages sent before are no longer answered (a miss), everything else works on.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** First byte of a sealed row. A protobuf never starts with it (field 0 does not exist), so rows
 * written before encryption (plain protobuf) are told apart and still read until they expire. */
const SEALED_V1 = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const CONTENT_KEY_FILE = 'content.key';

export interface ContentCipher {
  seal(plain: Uint8Array, waMessageId: string): Buffer;
  /** Throws when the row was sealed with another key or altered. */
  open(sealed: Uint8Array, waMessageId: string): Uint8Array;
}

/** IVs drawn from the CSPRNG this many at a time: one call per 256 sends instead of one each (issue 13). */
const IV_POOL_BYTES = IV_BYTES * 256;

export class AesGcmContentCipher implements ContentCipher {
  private ivPool = Buffer.alloc(0);
  private ivOffset = IV_POOL_BYTES;

  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a content key must be ${KEY_BYTES} bytes`);
  }

  seal(plain: Uint8Array, waMessageId: string): Buffer {
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(waMessageId, 'utf8'));
    const body = cipher.update(plain);
    cipher.final(); // GCM is a stream mode: final() adds no bytes, it computes the tag
    // Version, IV, tag and body written straight into one buffer (no intermediate concatenations).
    const sealed = Buffer.allocUnsafe(1 + IV_BYTES + TAG_BYTES + body.length);
    sealed[0] = SEALED_V1;
    iv.copy(sealed, 1);
    cipher.getAuthTag().copy(sealed, 1 + IV_BYTES);
    body.copy(sealed, 1 + IV_BYTES + TAG_BYTES);
    return sealed;
  }

  /** A fresh random IV: every slice of the pool is handed out once, and a used-up pool is replaced, never refilled in place. */
  private nextIv(): Buffer {
    if (this.ivOffset + IV_BYTES > this.ivPool.length) {
      this.ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_BYTES));
      this.ivOffset = 0;
    }
    const iv = this.ivPool.subarray(this.ivOffset, this.ivOffset + IV_BYTES);
    this.ivOffset += IV_BYTES;
    return iv;
  }

  open(sealed: Uint8Array, waMessageId: string): Uint8Array {
    const bytes = Buffer.from(sealed);
    if (!isSealed(bytes)) return new Uint8Array(bytes); // written before encryption
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(waMessageId, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]));
    } catch {
      throw new Error('sent content does not open with the current key (MESSAGE_CONTENT_KEY or content.key changed or lost, or the row was altered)');
    }
  }
}

export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length > 1 + IV_BYTES + TAG_BYTES && bytes[0] === SEALED_V1;
}

/** The bytes either store keeps for `plain`: sealed with the cipher, or as given without one. */
export function sealContent(cipher: ContentCipher | undefined, plain: Uint8Array, waMessageId: string): Buffer {
  return cipher ? cipher.seal(plain, waMessageId) : Buffer.from(plain);
}

/** The content of a row either store kept; without a cipher a sealed row cannot be read. */
export function openContent(cipher: ContentCipher | undefined, stored: Uint8Array, waMessageId: string): Uint8Array {
  if (cipher) return cipher.open(stored, waMessageId);
  if (isSealed(stored)) throw new Error('sent content is encrypted and no key was given');
  return new Uint8Array(stored);
}

/** The configured secret stretched to a key (scrypt: a passphrase is as good as random bytes). */
export function keyFromSecret(secret: string): Buffer {
  return scryptSync(secret, 'whatsapp-gateway/sent-content/v1', KEY_BYTES, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

/** The key in DATA_DIR/content.key, created (0600) on first start. */
export function keyFromFile(dataDir: string): Buffer {
  const file = path.join(dataDir, CONTENT_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(KEY_BYTES);
    try {
      writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (raced) {
      // Another process created it first: use that one.
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      text = readFileSync(file, 'utf8').trim();
    }
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new Error(
      `${file} is not a 64-character hex key: restore it from a backup, or delete it to start with a new key (retry receipts for messages sent before then will not be answered)`,
    );
  }
  return Buffer.from(text, 'hex');
}

export function contentCipher(config: { dataDir: string; messageContentKey: string }): ContentCipher {
  return new AesGcmContentCipher(config.messageContentKey ? keyFromSecret(config.messageContentKey) : keyFromFile(config.dataDir));
}
