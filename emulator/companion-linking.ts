/**
 * Companions linking and logging in: a registering companion gets QR refs (or asks for a pairing
 * code), the phone scans or types, pair-success is signed and checked, and the device is asked to
 * restart (515); a paired device logs in with the Noise key it paired with, or gets 401.
 */
import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { streamError, type ChatListener } from './chat-listener.js';
import type { ClientConnection, HandshakeResult } from './client-connection.js';
import { CodePairings } from './code-pairings.js';
import { pnJid, type Directory } from './directory.js';
import type { LinkedDeviceInfo, PairedDevice, PairedDevices } from './paired-devices.js';
import { pairSuccessNode, parseQr, signDeviceIdentity, verifyPairDeviceSign, type CompanionKeys } from './pairing.js';

interface PendingRegistration {
  connection: ClientConnection;
  noiseKey: Buffer;
  pushName?: string;
}

export interface LinkingDeps {
  directory: Directory;
  devices: PairedDevices;
  listener: ChatListener;
  /** QR refs per registration. */
  qrRefs: number;
  logger: Logger;
  /** A companion logged in (a `<success>` was sent). */
  onLogin(): void;
}

const PAIRING_REPLY_TIMEOUT_MS = 10_000;
const unixNow = (): string => Math.floor(Date.now() / 1000).toString();

export class CompanionLinking {
  /** `<success>` logins so far. */
  logins = 0;
  /**
   * Logins of a device while another connection was still logged in as it: two live connections for
   * one account, which a gateway cluster must never cause (the real network answers with a 440).
   */
  overlappingLogins = 0;
  private readonly pendingRefs = new Map<string, PendingRegistration>();
  private readonly codePairings: CodePairings;

  constructor(private readonly deps: LinkingDeps) {
    this.codePairings = new CodePairings({
      primaryIdentity: deps.directory.accountKey,
      registeringNoiseKey: (connection) => this.pendingOf(connection)?.noiseKey,
      logger: deps.logger.child({ module: 'pairing-code' }),
    });
  }

  get pairingCodeRequests(): number {
    return this.codePairings.accepted;
  }

  async scanQr(qr: string): Promise<LinkedDeviceInfo> {
    const fields = parseQr(qr);
    const pending = this.pendingRefs.get(fields.ref);
    if (!pending || !pending.connection.isOpen || !pending.connection.registration) {
      throw new Error(`no connected companion is showing QR ref ${fields.ref}`);
    }
    if (!pending.noiseKey.equals(fields.noiseKey)) throw new Error('QR noise key differs from the connection that showed it');
    return this.completePairing(pending.connection, fields);
  }

  async enterPairingCode(code: string, phone = this.deps.directory.account.phone): Promise<LinkedDeviceInfo> {
    let linked: LinkedDeviceInfo | undefined;
    await this.codePairings.enter(pnJid(phone), code, PAIRING_REPLY_TIMEOUT_MS, async (connection, keys) => {
      linked = await this.completePairing(connection, { identityKey: keys.companionIdentity, advSecret: keys.advSecret });
    });
    return linked!;
  }

  refusePairingCodes(refusal?: { code: number; text: string }): void {
    this.codePairings.refuse(refusal);
  }

  /** The answer to a pairing-code iq (`link_code_companion_reg`), or undefined for any other iq. */
  answerIq(connection: ClientConnection, iq: BinaryNode): BinaryNode | undefined {
    return this.codePairings.answer(connection, iq);
  }

  onHandshake(connection: ClientConnection, { clientStatic, payload }: HandshakeResult): void {
    if (payload.devicePairingData) {
      this.startRegistration(connection, clientStatic, payload.pushName ?? undefined);
      connection.registration = payload.devicePairingData;
      return;
    }
    const { directory, devices, listener, logger } = this.deps;
    const user = payload.username === null || payload.username === undefined ? '' : String(payload.username);
    const device = devices.get(payload.device ?? 0);
    if (user !== directory.account.phone || !device || device.removed || !device.noiseKey.equals(clientStatic)) {
      logger.info({ user, device: payload.device }, 'refusing login of an unknown or removed device');
      connection.send({ tag: 'failure', attrs: { reason: '401', location: 'emulator' } });
      connection.closeSoon();
      return;
    }
    // A second login of the same device replaces the first, as on the real network.
    const overlapped = listener.connections().filter((other) => other !== connection && other.isOpen && other.device === device.device);
    if (overlapped.length > 0) this.overlappingLogins++;
    for (const other of overlapped) streamError(other, 440);
    connection.device = device.device;
    this.logins++;
    connection.send({
      tag: 'success',
      attrs: { t: unixNow(), lid: device.lid, display_name: directory.account.pushName ?? '', creation: unixNow() },
    });
    // The offline marker ends Baileys' initial event buffering.
    connection.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
    this.deps.onLogin();
  }

  /** The connection closed: its QR refs and pairing code die with it. */
  forget(connection: ClientConnection): void {
    for (const [ref, entry] of this.pendingRefs) if (entry.connection === connection) this.pendingRefs.delete(ref);
    this.codePairings.forget(connection);
  }

  private pendingOf(connection: ClientConnection): PendingRegistration | undefined {
    return [...this.pendingRefs.values()].find((entry) => entry.connection === connection);
  }

  /**
   * The phone signs the companion in (pair-success), checks its pair-device-sign, records the
   * device and asks the companion to restart (515), whether it was linked by QR or by code.
   */
  private async completePairing(connection: ClientConnection, keys: CompanionKeys): Promise<LinkedDeviceInfo> {
    const { directory, devices, logger } = this.deps;
    const registration = connection.registration;
    const pending = this.pendingOf(connection);
    if (!registration || !pending) throw new Error('the companion is no longer registering');
    if (!registration.eIdent || !keys.identityKey.equals(Buffer.from(registration.eIdent))) {
      throw new Error('companion identity key differs from the registration payload');
    }
    const { device, keyIndex } = devices.allocate();
    const { phone, lid } = directory.account;
    const jid = `${phone}:${device}@s.whatsapp.net`;
    const deviceLid = `${lid}:${device}@lid`;
    const identity = signDeviceIdentity(directory.accountKey, keys, keyIndex);
    const reply = await connection.request(pairSuccessNode(randomBytes(8).toString('hex'), identity, jid, deviceLid), PAIRING_REPLY_TIMEOUT_MS);
    verifyPairDeviceSign(reply, identity, directory.accountKey, keys);
    const paired: PairedDevice = {
      device,
      jid,
      lid: deviceLid,
      keyIndex,
      noiseKey: pending.noiseKey,
      identityKey: Buffer.from(registration.eIdent),
      registrationId: Buffer.from(registration.eRegid ?? Buffer.alloc(4)).readUInt32BE(0),
      signedPreKey: {
        keyId: Buffer.from(registration.eSkeyId ?? Buffer.alloc(3)).readUIntBE(0, 3),
        publicKey: Buffer.from(registration.eSkeyVal ?? []),
        signature: Buffer.from(registration.eSkeySig ?? []),
      },
      preKeys: new Map(),
      pushName: pending.pushName,
      removed: false,
      pairedAt: new Date(),
    };
    devices.add(paired);
    this.forget(connection);
    connection.registration = undefined;
    logger.info({ jid }, 'companion paired; asking it to restart');
    streamError(connection, 515);
    return devices.list().find((info) => info.device === device)!;
  }

  private startRegistration(connection: ClientConnection, noiseKey: Buffer, pushName: string | undefined): void {
    const refs: BinaryNode[] = [];
    for (let i = 0; i < this.deps.qrRefs; i++) {
      const ref = `2@${randomBytes(24).toString('base64')}`;
      this.pendingRefs.set(ref, { connection, noiseKey, pushName });
      refs.push({ tag: 'ref', attrs: {}, content: Buffer.from(ref) });
    }
    connection.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: randomBytes(6).toString('hex'), xmlns: 'md' },
      content: [{ tag: 'pair-device', attrs: {}, content: refs }],
    });
  }
}
