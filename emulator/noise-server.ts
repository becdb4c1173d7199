import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, NOISE_WA_HEADER, proto, sha256, type KeyPair } from '@whiskeysockets/baileys';

/**
 * The responder half of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake.
 * Baileys' own makeNoiseHandler only plays the initiator (it hard-codes the key
 * orientation), so the server side mirrors it here step for step.
 */
export class NoiseResponder {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();
  private clientEphemeral: Uint8Array | undefined;

  constructor(
    private readonly staticKey: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    // NOISE_MODE is exactly 32 bytes, so it is used as the initial hash without hashing.
    this.hash = Buffer.from(NOISE_MODE);
    this.salt = this.hash;
    this.key = this.hash;
    this.authenticate(NOISE_WA_HEADER);
  }

  /** Answers the ClientHello with a ServerHello (ephemeral, encrypted static, encrypted cert chain). */
  serverHello(clientHello: proto.HandshakeMessage.IClientHello): Uint8Array {
    const clientEphemeral = clientHello.ephemeral;
    if (!clientEphemeral || clientEphemeral.length !== 32) {
      throw new Error('client hello without a 32-byte ephemeral key');
    }
    this.clientEphemeral = clientEphemeral;
    this.authenticate(clientEphemeral);
    this.authenticate(this.ephemeral.public);
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const staticEnc = this.encrypt(this.staticKey.public);
    this.mixIntoKey(Curve.sharedKey(this.staticKey.private, clientEphemeral));
    const payloadEnc = this.encrypt(this.certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: staticEnc, payload: payloadEnc },
    }).finish();
  }

  /**
   * Reads the ClientFinish: the client's static key (its creds.noiseKey) and its ClientPayload,
   * then splits into transport keys, reversed relative to the client's.
   */
  clientFinish(finish: proto.HandshakeMessage.IClientFinish): { clientStatic: Buffer; payload: proto.ClientPayload; transport: NoiseTransport } {
    if (!this.clientEphemeral || !finish.static || !finish.payload) {
      throw new Error('client finish out of order or incomplete');
    }
    const clientStatic = this.decrypt(finish.static);
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.decrypt(finish.payload));
    const keys = Buffer.from(hkdf(new Uint8Array(0), 64, { salt: this.salt, info: '' }));
    const transport = new NoiseTransport(keys.subarray(32), keys.subarray(0, 32));
    return { clientStatic, payload, transport };
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  private mixIntoKey(data: Uint8Array): void {
    const expanded = Buffer.from(hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' }));
    this.salt = expanded.subarray(0, 32);
    this.key = expanded.subarray(32);
    this.counter = 0;
  }

  // One counter serves both directions during the handshake, exactly as on the client.
  private encrypt(plaintext: Uint8Array): Buffer {
    const result = aesEncryptGCM(plaintext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(result);
    return result;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const result = aesDecryptGCM(ciphertext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return result;
  }
}

/** Post-handshake AES-GCM with a separate counter per direction and no associated data. */
export class NoiseTransport {
  private readCounter = 0;
  private writeCounter = 0;

  constructor(
    private readonly encKey: Uint8Array,
    private readonly decKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(plaintext, this.encKey, ivFor(this.writeCounter++), EMPTY);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(ciphertext, this.decKey, ivFor(this.readCounter++), EMPTY);
  }
}

const EMPTY = Buffer.alloc(0);

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
}

/** Frames are a 3-byte big-endian length followed by the payload, in both directions. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out.set(payload, 3);
  return out;
}

/**
 * Splits the client's byte stream into frames. The client prefixes its very first
 * WebSocket message with the 4-byte "WA" intro, which is dropped here.
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private introSeen = false;

  push(data: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    if (!this.introSeen) {
      if (this.buffered.length < NOISE_WA_HEADER.length) return [];
      if (!this.buffered.subarray(0, NOISE_WA_HEADER.length).equals(NOISE_WA_HEADER)) {
        throw new Error('connection did not start with the WA intro header');
      }
      this.buffered = this.buffered.subarray(NOISE_WA_HEADER.length);
      this.introSeen = true;
    }
    const frames: Buffer[] = [];
    while (this.buffered.length >= 3) {
      const size = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < size + 3) break;
      frames.push(this.buffered.subarray(3, size + 3));
      this.buffered = this.buffered.subarray(size + 3);
    }
    return frames;
  }
}
