import type { PreKeyBundle } from './signal-party.js';

/** A companion (linked device) of the account, as the server remembers it after pairing. */
export interface PairedDevice {
  /** Device number within the account (the `:N` in JIDs). */
  device: number;
  jid: string;
  lid: string;
  keyIndex: number;
  /** The companion's Noise static key (creds.noiseKey); a login must present the same one. */
  noiseKey: Buffer;
  /** The companion's Signal identity (creds.signedIdentityKey), 32 bytes. */
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  /** One-time prekeys uploaded with `encrypt set`, consumed as bundles are handed out. */
  preKeys: Map<number, Buffer>;
  pushName?: string;
  removed: boolean;
  pairedAt: Date;
}

/** Public view of a linked device, for assertions. */
export interface LinkedDeviceInfo {
  jid: string;
  lid: string;
  device: number;
  removed: boolean;
  pushName?: string;
  /** How many uploaded one-time prekeys the server still holds. */
  preKeyCount: number;
}

export class PairedDevices {
  private readonly devices = new Map<number, PairedDevice>();
  private nextDevice = 1;
  private nextKeyIndex = 1;

  /** Device numbers and key indexes are never reused, as on the real network. */
  allocate(): { device: number; keyIndex: number } {
    return { device: this.nextDevice++, keyIndex: this.nextKeyIndex++ };
  }

  add(device: PairedDevice): void {
    this.devices.set(device.device, device);
  }

  get(device: number): PairedDevice | undefined {
    return this.devices.get(device);
  }

  active(): PairedDevice[] {
    return [...this.devices.values()].filter((device) => !device.removed);
  }

  list(): LinkedDeviceInfo[] {
    return [...this.devices.values()].map((device) => ({
      jid: device.jid,
      lid: device.lid,
      device: device.device,
      removed: device.removed,
      pushName: device.pushName,
      preKeyCount: device.preKeys.size,
    }));
  }

  /** Hands out the device's bundle, consuming one uploaded prekey if any are left. */
  takeBundle(device: PairedDevice): PreKeyBundle {
    const first = device.preKeys.entries().next();
    let preKey: PreKeyBundle['preKey'];
    if (!first.done) {
      const [keyId, publicKey] = first.value;
      device.preKeys.delete(keyId);
      preKey = { keyId, publicKey };
    }
    return {
      registrationId: device.registrationId,
      identityKey: device.identityKey,
      signedPreKey: device.signedPreKey,
      preKey,
    };
  }
}
