import { Curve, generateRegistrationId, generateSignalPubKey, signedKeyPair, type KeyPair } from '@whiskeysockets/baileys';
import * as libsignal from 'libsignal';

/** What the server hands out for one device in an `encrypt` key fetch. Keys are raw 32-byte curve keys. */
export interface PreKeyBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey?: { keyId: number; publicKey: Uint8Array };
}

export type SignalMessageType = 'pkmsg' | 'msg';

type LibsignalKeyPair = { privKey: Buffer; pubKey: Buffer };

/**
 * One Signal device the emulator plays: a contact's phone, or the account's own phone.
 * Holds its identity, signed prekey and one-time prekeys (minted on demand, one per bundle
 * handed out), and its sessions in memory, so they survive the companion's reconnects.
 */
export class SignalParty {
  readonly registrationId: number;
  private readonly signedPreKey: ReturnType<typeof signedKeyPair>;
  private readonly preKeys = new Map<number, KeyPair>();
  private readonly sessions = new Map<string, libsignal.SessionRecord>();
  private nextPreKeyId = 1;

  constructor(readonly identity: KeyPair = Curve.generateKeyPair()) {
    this.registrationId = generateRegistrationId();
    this.signedPreKey = signedKeyPair(identity, 1);
  }

  /** Mints a fresh one-time prekey, as the server hands each one out only once. */
  issueBundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++;
    const preKey = Curve.generateKeyPair();
    this.preKeys.set(keyId, preKey);
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.public,
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        publicKey: this.signedPreKey.keyPair.public,
        signature: this.signedPreKey.signature,
      },
      preKey: { keyId, publicKey: preKey.public },
    };
  }

  async decrypt(from: libsignal.ProtocolAddress, type: SignalMessageType, ciphertext: Uint8Array): Promise<Buffer> {
    const cipher = new libsignal.SessionCipher(this.storage(), from);
    return type === 'pkmsg' ? cipher.decryptPreKeyWhisperMessage(ciphertext) : cipher.decryptWhisperMessage(ciphertext);
  }

  hasSession(with_: libsignal.ProtocolAddress): boolean {
    return this.sessions.get(with_.toString())?.haveOpenSession() ?? false;
  }

  /** Encrypts to a remote device, first building a session from its bundle when there is none yet. */
  async encrypt(to: libsignal.ProtocolAddress, data: Uint8Array, bundle: () => PreKeyBundle): Promise<{ type: SignalMessageType; ciphertext: Buffer }> {
    const storage = this.storage();
    if (!this.hasSession(to)) {
      const remote = bundle();
      await new libsignal.SessionBuilder(storage, to).initOutgoing({
        registrationId: remote.registrationId,
        identityKey: generateSignalPubKey(remote.identityKey),
        signedPreKey: {
          keyId: remote.signedPreKey.keyId,
          publicKey: generateSignalPubKey(remote.signedPreKey.publicKey),
          signature: remote.signedPreKey.signature,
        },
        // libsignal accepts a bundle without a one-time prekey; its d.ts does not say so.
        preKey: (remote.preKey
          ? { keyId: remote.preKey.keyId, publicKey: generateSignalPubKey(remote.preKey.publicKey) }
          : undefined) as PreKeyBundle['preKey'] & object,
      });
    }
    const { type, body } = await new libsignal.SessionCipher(storage, to).encrypt(data);
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
  }

  private storage(): libsignal.SignalStorage & { loadSignedPreKey(keyId?: number): LibsignalKeyPair } {
    const toLibsignal = (pair: KeyPair): LibsignalKeyPair => ({
      privKey: Buffer.from(pair.private),
      pubKey: Buffer.from(generateSignalPubKey(pair.public)),
    });
    return {
      loadSession: async (id) => this.sessions.get(id),
      storeSession: async (id, record) => {
        this.sessions.set(id, record);
      },
      // Trust on first use, as WhatsApp Web does.
      isTrustedIdentity: () => true,
      loadPreKey: async (id) => {
        const pair = this.preKeys.get(Number(id));
        return pair && toLibsignal(pair);
      },
      removePreKey: (id) => {
        this.preKeys.delete(Number(id));
      },
      loadSignedPreKey: () => toLibsignal(this.signedPreKey.keyPair),
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => toLibsignal(this.identity),
    };
  }
}
