/**
 * Asking WhatsApp for a pairing code ("Link with phone number instead") and waiting for its answer.
 *
 * Baileys 7.0.0-rc14's `requestPairingCode` sends the `link_code_companion_reg` iq with `sendNode`
 * and returns the code at once (Baileys issue 2737): a refused request (e.g. `400 bad-request`,
 * `429 rate-overlimit`) still yields a code that can never work. This builds the same stanza and
 * sends it with `query`, so the code is returned only with WhatsApp's pairing ref in hand, and a
 * refusal comes back with WhatsApp's reason. The rest of the exchange (the phone's notification,
 * companion_finish, pair-success) is Baileys' own handler.
 */
import { randomBytes } from 'node:crypto';
import {
  aesEncryptCTR,
  bytesToCrockford,
  Curve,
  derivePairingCodeKey,
  getBinaryNodeChild,
  getCompanionPlatformId,
  jidEncode,
  S_WHATSAPP_NET,
  type AuthenticationCreds,
  type BinaryNode,
  type WABrowserDescription,
  type WASocket,
} from '@whiskeysockets/baileys';

export type PairingCodeFailure = { kind: 'refused'; code: number; text: string } | { kind: 'no-answer'; reason: string };

export class PairingCodeError extends Error {
  constructor(readonly failure: PairingCodeFailure) {
    super(failure.kind === 'refused' ? `WhatsApp refused the pairing code: ${failure.code} ${failure.text}` : failure.reason);
  }
}

type Boomish = { message?: string; data?: unknown; output?: { statusCode?: number } };

/** The creds a pairing code sets; cleared again when WhatsApp refuses it. */
type CodeCreds = Pick<AuthenticationCreds, 'pairingCode' | 'pairingEphemeralKeyPair' | 'me'>;

/**
 * The companion's ephemeral public key wrapped with the code: salt(32) | iv(16) | AES-256-CTR under
 * PBKDF2-SHA256(code, salt), as Baileys' generatePairingKey does.
 */
async function wrapEphemeralKey(code: string, publicKey: Uint8Array): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(Buffer.from(publicKey), key, iv)]);
}

function companionHello(creds: AuthenticationCreds, jid: string, wrappedKey: Buffer, browser: WABrowserDescription): BinaryNode {
  return {
    tag: 'iq',
    attrs: { to: S_WHATSAPP_NET, type: 'set', xmlns: 'md' },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { jid, stage: 'companion_hello', should_show_push_notification: 'true' },
        content: [
          { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: wrappedKey },
          { tag: 'companion_server_auth_key_pub', attrs: {}, content: creds.noiseKey.public },
          { tag: 'companion_platform_id', attrs: {}, content: getCompanionPlatformId(browser) },
          // WhatsApp checks this is "<browser> (<OS>)"; a product name there gets 400 bad-request.
          { tag: 'companion_platform_display', attrs: {}, content: `${browser[1]} (${browser[0]})` },
          { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' },
        ],
      },
    ],
  };
}

function toFailure(error: unknown): PairingCodeFailure {
  const boom = error as Boomish;
  // assertNodeErrorFree puts WhatsApp's <error code text/> into data and message.
  if (typeof boom?.data === 'number' && boom.data > 0) return { kind: 'refused', code: boom.data, text: boom.message ?? 'unknown error' };
  return { kind: 'no-answer', reason: boom?.message ?? String(error) };
}

/**
 * Sends companion_hello for `phone` on a registering socket and resolves with the code once WhatsApp
 * answered with a pairing ref; throws PairingCodeError otherwise, with the creds put back as they were.
 */
export async function requestPairingCode(socket: WASocket, phone: string, browser: WABrowserDescription, timeoutMs: number): Promise<string> {
  const creds = socket.authState.creds;
  const code = bytesToCrockford(randomBytes(5));
  // A fresh ephemeral key per code (Baileys reuses the one made with the creds).
  const fields: CodeCreds = { pairingCode: code, pairingEphemeralKeyPair: Curve.generateKeyPair(), me: { id: jidEncode(phone, 's.whatsapp.net'), name: '~' } };
  // Baileys' notification handler reads the code, key and `me` from the creds when the phone answers.
  Object.assign(creds, fields);
  socket.ev.emit('creds.update', fields);
  let reply: BinaryNode | undefined;
  try {
    reply = await socket.query(companionHello(creds, fields.me!.id, await wrapEphemeralKey(code, fields.pairingEphemeralKeyPair.public), browser), timeoutMs);
  } catch (error) {
    forgetCode(socket);
    throw new PairingCodeError(toFailure(error));
  }
  const ref = getBinaryNodeChild(getBinaryNodeChild(reply, 'link_code_companion_reg'), 'link_code_pairing_ref');
  if (!ref?.content) {
    forgetCode(socket);
    throw new PairingCodeError({ kind: 'no-answer', reason: 'WhatsApp answered without a pairing ref' });
  }
  return code;
}

function forgetCode(socket: WASocket): void {
  const cleared = { pairingCode: undefined, me: undefined };
  Object.assign(socket.authState.creds, cleared);
  socket.ev.emit('creds.update', cleared);
}

/**
 * True for creds left by a pairing code that never completed (a wrong code, an expired one): `me`
 * is set but no account signed the device. Such creds would make the next connection try to log
 * in, which WhatsApp refuses, instead of registering afresh.
 */
export function isUnfinishedCodePairing(creds: AuthenticationCreds): boolean {
  return creds.pairingCode !== undefined && creds.pairingCode !== null && !creds.account;
}

export function clearUnfinishedCodePairing(creds: AuthenticationCreds): void {
  Object.assign(creds, { pairingCode: undefined, me: undefined, registered: false });
}
