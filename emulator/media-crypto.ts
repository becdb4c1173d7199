import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getMediaKeys, type MediaType } from '@whiskeysockets/baileys';

const MAC_LENGTH = 10;

/**
 * Decrypts an uploaded media blob with the message's mediaKey and checks everything a receiving
 * phone would: sha256 of the blob, the truncated HMAC over iv‖ciphertext, and sha256 of the plaintext.
 * Throws with the first check that fails.
 */
export async function decryptMediaBlob(
  blob: Buffer,
  keys: { mediaKey: Uint8Array; fileEncSha256?: Uint8Array | null; fileSha256?: Uint8Array | null },
  mediaType: MediaType,
): Promise<Buffer> {
  const encSha256 = createHash('sha256').update(blob).digest();
  if (keys.fileEncSha256 && !encSha256.equals(Buffer.from(keys.fileEncSha256))) {
    throw new Error('media blob does not match fileEncSha256');
  }
  const { iv, cipherKey, macKey } = await getMediaKeys(keys.mediaKey, mediaType);
  if (!iv || !cipherKey || !macKey) throw new Error('could not derive media keys');
  const ciphertext = blob.subarray(0, blob.length - MAC_LENGTH);
  const mac = blob.subarray(blob.length - MAC_LENGTH);
  const expected = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, MAC_LENGTH);
  if (mac.length !== MAC_LENGTH || !timingSafeEqual(mac, expected)) throw new Error('media blob MAC does not verify');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (keys.fileSha256 && !createHash('sha256').update(plaintext).digest().equals(Buffer.from(keys.fileSha256))) {
    throw new Error('decrypted media does not match fileSha256');
  }
  return plaintext;
}
