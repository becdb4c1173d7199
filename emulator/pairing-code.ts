/**
 * Linking with a code ("Link with phone number instead"): the server's and the phone's halves of
 * the `link_code_companion_reg` exchange, with the primary device's real crypto.
 *
 * 1. companion_hello (companion → server): the companion's ephemeral public key, wrapped with a key
 *    derived from the 8-character code (PBKDF2-SHA256, 2<<16 rounds, then AES-256-CTR; the wrap is
 *    salt(32) | iv(16) | ciphertext(32)). The server keeps it and answers with a pairing ref.
 * 2. The user types the code on the phone: the phone unwraps the companion's key with what was
 *    typed, makes its own ephemeral key pair, wraps its public key with the same code and sends it,
 *    with its identity key, in a `link_code_companion_reg` notification.
 * 3. companion_finish (companion → server → phone): the companion's identity key, the phone's
 *    identity key and 32 random bytes, AES-256-GCM under HKDF(X25519(ephemerals)). The phone opens
 *    it, and both sides derive the ADV secret from both shared keys and the random bytes; the phone
 *    then signs the new device exactly as after a QR scan (pair-success).
 *
 * AES-CTR cannot tell a wrong code: a mistyped code yields a wrong (but valid-looking) key, so the
 * shared keys differ and the phone fails to open the GCM bundle in step 3, as the real phone does.
 */
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Curve, getBinaryNodeChild, getBinaryNodeChildBuffer, type BinaryNode, type KeyPair } from '@whiskeysockets/baileys';

const pbkdf2Async = promisify(pbkdf2);
const CODE_ROUNDS = 2 << 16;
const KEY_BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';
const ADV_SECRET_INFO = 'adv_secret';

/** What a companion sent in its companion_hello. */
export interface CompanionHello {
  ref: Buffer;
  /** `<phone>@s.whatsapp.net`: the account whose phone is to type the code. */
  jid: string;
  wrappedCompanionEphemeral: Buffer;
  noiseKey: Buffer;
  platformId: string;
  platformDisplay: string;
}

/** WhatsApp's refusal of a companion_hello, sent back as `<error code text/>`. */
export class PairingCodeRefusal extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code} ${text}`);
  }
}

/** The primary's secrets for one typed code, kept until the companion's finish arrives. */
export interface PrimaryHalf {
  ephemeral: KeyPair;
  /** The companion's ephemeral public key as the phone unwrapped it (garbage if the code was wrong). */
  companionEphemeral: Buffer;
}

/** What the phone learnt from a companion_finish it could open. */
export interface OpenedKeyBundle {
  companionIdentity: Buffer;
  advSecret: Buffer;
}

const text = (node: BinaryNode | undefined, tag: string): string => {
  const buffer = getBinaryNodeChildBuffer(node, tag);
  return buffer ? Buffer.from(buffer).toString('utf8') : '';
};

export function linkCodeChild(iq: BinaryNode): BinaryNode | undefined {
  return getBinaryNodeChild(iq, 'link_code_companion_reg');
}

/**
 * Reads a companion_hello, refusing what WhatsApp refuses: a missing key, or a platform display
 * not in the "Browser (OS)" form (production WhatsApp answers `400 bad-request` to e.g.
 * "Chrome (Acme)"; see Baileys PR 2769).
 */
export function parseCompanionHello(reg: BinaryNode): CompanionHello {
  const wrapped = getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
  const noiseKey = getBinaryNodeChildBuffer(reg, 'companion_server_auth_key_pub');
  const jid = reg.attrs.jid ?? '';
  if (!wrapped || wrapped.length !== 80 || !noiseKey || !/^\d+@s\.whatsapp\.net$/.test(jid)) throw new PairingCodeRefusal(400, 'bad-request');
  const platformDisplay = text(reg, 'companion_platform_display');
  if (!/^\S+ \((Windows|Mac OS|Ubuntu|Linux|Chrome OS)\)$/.test(platformDisplay)) {
    throw new PairingCodeRefusal(400, 'bad-request');
  }
  return {
    ref: randomBytes(32),
    jid,
    wrappedCompanionEphemeral: Buffer.from(wrapped),
    noiseKey: Buffer.from(noiseKey),
    platformId: text(reg, 'companion_platform_id'),
    platformDisplay,
  };
}

export function helloResultNode(id: string, ref: Buffer): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'result', id },
    content: [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }] }],
  };
}

export function errorNode(id: string, refusal: PairingCodeRefusal): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'error', id },
    content: [{ tag: 'error', attrs: { code: String(refusal.code), text: refusal.text } }],
  };
}

/** The code as a person types it: the phone shows it as XXXX-XXXX and ignores case. */
export function normaliseTypedCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}

async function codeKey(code: string, salt: Buffer): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(code, 'utf8'), salt, CODE_ROUNDS, 32, 'sha256');
}

async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
  const key = await codeKey(code, wrapped.subarray(0, 32));
  const decipher = createDecipheriv('aes-256-ctr', key, wrapped.subarray(32, 48));
  return Buffer.concat([decipher.update(wrapped.subarray(48, 80)), decipher.final()]);
}

async function wrapWithCode(code: string, publicKey: Uint8Array): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', await codeKey(code, salt), iv);
  return Buffer.concat([salt, iv, cipher.update(publicKey), cipher.final()]);
}

/** Step 2 on the phone: what the typed code opens, and the notification that carries the phone's half. */
export async function primaryHello(
  typedCode: string,
  hello: CompanionHello,
  primaryIdentity: KeyPair,
): Promise<{ half: PrimaryHalf; notification: BinaryNode }> {
  const code = normaliseTypedCode(typedCode);
  const companionEphemeral = await unwrapWithCode(code, hello.wrappedCompanionEphemeral);
  const ephemeral = Curve.generateKeyPair();
  const notification: BinaryNode = {
    tag: 'notification',
    attrs: {
      from: 's.whatsapp.net',
      type: 'link_code_companion_reg',
      id: randomBytes(8).toString('hex').toUpperCase(),
      t: Math.floor(Date.now() / 1000).toString(),
    },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { jid: hello.jid, stage: 'primary_hello' },
        content: [
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: await wrapWithCode(code, Buffer.from(ephemeral.public)) },
          { tag: 'primary_identity_pub', attrs: {}, content: primaryIdentity.public },
          { tag: 'link_code_pairing_ref', attrs: {}, content: hello.ref },
        ],
      },
    ],
  };
  return { half: { ephemeral, companionEphemeral }, notification };
}

export interface CompanionFinish {
  ref: Buffer;
  wrappedKeyBundle: Buffer;
  companionIdentity: Buffer;
}

export function parseCompanionFinish(reg: BinaryNode): CompanionFinish {
  const ref = getBinaryNodeChildBuffer(reg, 'link_code_pairing_ref');
  const bundle = getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_key_bundle');
  const identity = getBinaryNodeChildBuffer(reg, 'companion_identity_public');
  if (!ref || !bundle || !identity) throw new PairingCodeRefusal(400, 'bad-request');
  return { ref: Buffer.from(ref), wrappedKeyBundle: Buffer.from(bundle), companionIdentity: Buffer.from(identity) };
}

/**
 * Step 3 on the phone: opens the companion's key bundle (salt(32) | iv(12) | AES-GCM with tag) and
 * derives the ADV secret. Throws when the bundle does not open (a wrong code) or does not name this
 * phone's identity and the companion's.
 */
export function openKeyBundle(finish: CompanionFinish, half: PrimaryHalf, primaryIdentity: KeyPair): OpenedKeyBundle {
  const sharedEphemeral = Curve.sharedKey(half.ephemeral.private, half.companionEphemeral);
  const bundle = finish.wrappedKeyBundle;
  const key = Buffer.from(hkdfSync('sha256', sharedEphemeral, bundle.subarray(0, 32), KEY_BUNDLE_INFO, 32));
  const sealed = bundle.subarray(44);
  const decipher = createDecipheriv('aes-256-gcm', key, bundle.subarray(32, 44));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  } catch {
    throw new Error('the phone could not open the key bundle: the code typed was wrong');
  }
  const companionIdentity = plain.subarray(0, 32);
  if (!companionIdentity.equals(finish.companionIdentity)) throw new Error('key bundle names another companion identity');
  if (!plain.subarray(32, 64).equals(Buffer.from(primaryIdentity.public))) throw new Error('key bundle names another primary identity');
  const sharedIdentity = Curve.sharedKey(primaryIdentity.private, companionIdentity);
  const advSecret = Buffer.from(
    hkdfSync('sha256', Buffer.concat([sharedEphemeral, sharedIdentity, plain.subarray(64, 96)]), Buffer.alloc(0), ADV_SECRET_INFO, 32),
  );
  return { companionIdentity: Buffer.from(companionIdentity), advSecret };
}
