/**
 * Retry receipts, as a recipient's phone sends them when it cannot decrypt a message: the message
 * id, a retry count, the phone's registration id and, from the second try on (or when asked), a
 * fresh key bundle so the sender can build a new session (Baileys: handleRetryReceipt →
 * sendMessagesAgain, which re-encrypts what getMessage returns). Format from Baileys'
 * messages-recv.js sendRetryRequest.
 */
import { KEY_BUNDLE_TYPE, type BinaryNode } from '@whiskeysockets/baileys';
import type { PreKeyBundle } from './signal-party.js';

const bigEndian = (value: number, bytes: number): Buffer => {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
};

export interface RetryRequest {
  messageId: string;
  /** The chat as the original stanza addressed it (phone or LID JID): the receipt comes from there. */
  from: string;
  count: number;
  registrationId: number;
  /** A fresh bundle of the recipient's phone: the sender must start a new session from it. */
  bundle?: PreKeyBundle;
}

export function retryReceiptNode({ messageId, from, count, registrationId, bundle }: RetryRequest): BinaryNode {
  const t = Math.floor(Date.now() / 1000).toString();
  const content: BinaryNode[] = [
    { tag: 'retry', attrs: { count: String(count), id: messageId, t, v: '1' } },
    { tag: 'registration', attrs: {}, content: bigEndian(registrationId, 4) },
  ];
  if (bundle) content.push(keysNode(bundle));
  return { tag: 'receipt', attrs: { id: messageId, from, type: 'retry', t }, content };
}

function keysNode(bundle: PreKeyBundle): BinaryNode {
  const keys: BinaryNode[] = [
    { tag: 'type', attrs: {}, content: Buffer.from(KEY_BUNDLE_TYPE) },
    { tag: 'identity', attrs: {}, content: Buffer.from(bundle.identityKey) },
  ];
  if (bundle.preKey) {
    keys.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(bundle.preKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: Buffer.from(bundle.preKey.publicKey) },
      ],
    });
  }
  keys.push({
    tag: 'skey',
    attrs: {},
    content: [
      { tag: 'id', attrs: {}, content: bigEndian(bundle.signedPreKey.keyId, 3) },
      { tag: 'value', attrs: {}, content: Buffer.from(bundle.signedPreKey.publicKey) },
      { tag: 'signature', attrs: {}, content: Buffer.from(bundle.signedPreKey.signature) },
    ],
  });
  return { tag: 'keys', attrs: {}, content: keys };
}
