import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from '@whiskeysockets/baileys/lib/Signal/Group/index.js';
import type * as libsignal from 'libsignal';

/**
 * One party's sender keys (WhatsApp's group Signal layer, the same GroupCipher Baileys ships): the
 * chains it received through sender key distribution messages, and its own chain per group when
 * it sends. In memory, for the emulator's lifetime.
 */
export class SenderKeys {
  private readonly records = new Map<string, SenderKeyRecord>();

  /** Takes a distribution message (SenderKeyDistributionMessage.axolotlSenderKeyDistributionMessage) from `sender` for `group`. */
  async receive(group: string, sender: libsignal.ProtocolAddress, distribution: Uint8Array): Promise<void> {
    const message = new SenderKeyDistributionMessage(null, null, null, null, distribution);
    await new GroupSessionBuilder(this.store()).process(new SenderKeyName(group, sender), message);
  }

  has(group: string, sender: libsignal.ProtocolAddress): boolean {
    return !(this.records.get(new SenderKeyName(group, sender).toString())?.isEmpty() ?? true);
  }

  /** Decrypts an skmsg from `sender` in `group` (still padded, as Signal plaintexts are). */
  decrypt(group: string, sender: libsignal.ProtocolAddress, skmsg: Uint8Array): Promise<Uint8Array> {
    return new GroupCipher(this.store(), new SenderKeyName(group, sender)).decrypt(skmsg);
  }

  /** This party's own chain for `group`: the distribution message to hand to members (made on first use). */
  async distribution(group: string, self: libsignal.ProtocolAddress): Promise<Uint8Array> {
    const message = await new GroupSessionBuilder(this.store()).create(new SenderKeyName(group, self));
    return message.serialize();
  }

  /** Encrypts padded plaintext with this party's own chain for `group`. */
  encrypt(group: string, self: libsignal.ProtocolAddress, padded: Uint8Array): Promise<Uint8Array> {
    return new GroupCipher(this.store(), new SenderKeyName(group, self)).encrypt(padded);
  }

  private store(): {
    loadSenderKey(name: SenderKeyName): Promise<SenderKeyRecord>;
    storeSenderKey(name: SenderKeyName, record: SenderKeyRecord): Promise<void>;
  } {
    return {
      loadSenderKey: async (name) => this.records.get(name.toString()) ?? new SenderKeyRecord(),
      storeSenderKey: async (name, record) => {
        this.records.set(name.toString(), record);
      },
    };
  }
}
