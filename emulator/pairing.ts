import {
  Curve,
  getBinaryNodeChild,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  type BinaryNode,
  type KeyPair,
} from '@whiskeysockets/baileys';
import { verify } from 'curve25519-js';

/** What the phone knows of a companion once it is to sign it: from a QR, or from a pairing code's key bundle. */
export interface CompanionKeys {
  identityKey: Buffer;
  advSecret: Buffer;
}

/** The fields of a companion's QR (`https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform`). */
export interface PairingQr extends CompanionKeys {
  ref: string;
  noiseKey: Buffer;
  platformId: string;
}

export function parseQr(qr: string): PairingQr {
  const hash = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
  const [ref, noise, identity, adv, platformId] = hash.split(',');
  if (!ref || !noise || !identity || !adv) throw new Error(`not a WhatsApp pairing QR: ${qr}`);
  return {
    ref,
    noiseKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platformId: platformId ?? '',
  };
}

export interface DeviceIdentity {
  /** Encoded ADVDeviceIdentity: what both signatures cover. */
  details: Uint8Array;
  /** The pair-success payload: ADVSignedDeviceIdentityHMAC. */
  signedHmac: Uint8Array;
}

/**
 * Plays the phone's half of linking: the account key signs the new device's identity,
 * and the HMAC with the ADV secret (the QR's, or the one a pairing code derived) proves the phone saw it.
 */
export function signDeviceIdentity(accountKey: KeyPair, qr: CompanionKeys, keyIndex: number): DeviceIdentity {
  const details = proto.ADVDeviceIdentity.encode({
    rawId: Math.floor(Math.random() * 0xffffffff),
    timestamp: Math.floor(Date.now() / 1000),
    // Baileys calls keyIndex.toString() when replying, so it must be present.
    keyIndex,
  }).finish();
  const accountSignature = Curve.sign(accountKey.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, qr.identityKey]));
  const signed = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: accountKey.public,
    accountSignature,
  }).finish();
  const hmac = hmacSign(signed, qr.advSecret);
  return { details, signedHmac: proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish() };
}

export function pairSuccessNode(id: string, identity: DeviceIdentity, deviceJid: string, deviceLid: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'result', id, t: Math.floor(Date.now() / 1000).toString() },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: identity.signedHmac },
          { tag: 'platform', attrs: { name: 'android' } },
          { tag: 'device', attrs: { jid: deviceJid, lid: deviceLid } },
        ],
      },
    ],
  };
}

/**
 * Checks the companion's pair-device-sign reply strictly (curve25519-js, not Baileys' Curve.verify,
 * which cannot fail in rc14): same details we signed, and a device signature by the QR's identity key.
 */
export function verifyPairDeviceSign(reply: BinaryNode, sent: DeviceIdentity, accountKey: KeyPair, qr: CompanionKeys): void {
  if (reply.attrs.type !== 'result') throw new Error(`pairing rejected by the companion: ${JSON.stringify(reply.attrs)}`);
  const identityNode = getBinaryNodeChild(getBinaryNodeChild(reply, 'pair-device-sign'), 'device-identity');
  if (!(identityNode?.content instanceof Uint8Array)) throw new Error('pair-device-sign without a device-identity');
  const account = proto.ADVSignedDeviceIdentity.decode(identityNode.content);
  if (!account.details || !Buffer.from(account.details).equals(Buffer.from(sent.details))) {
    throw new Error('pair-device-sign carries different device details');
  }
  if (!account.deviceSignature) throw new Error('pair-device-sign without a device signature');
  const message = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, account.details, qr.identityKey, accountKey.public]);
  if (!verify(qr.identityKey, message, account.deviceSignature)) {
    throw new Error('device signature does not verify against the QR identity key');
  }
}
