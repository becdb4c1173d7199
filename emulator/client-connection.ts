import { decodeBinaryNode, encodeBinaryNode, proto, type BinaryNode, type KeyPair } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { FrameReader, frame, NoiseResponder, type NoiseTransport } from './noise-server.js';

export interface HandshakeResult {
  clientStatic: Buffer;
  payload: proto.ClientPayload;
}

export interface ConnectionHandlers {
  onHandshake(connection: ClientConnection, result: HandshakeResult): void;
  onNode(connection: ClientConnection, node: BinaryNode): void;
  onClose(connection: ClientConnection): void;
}

let connectionCounter = 0;

/**
 * One client WebSocket: runs the Noise handshake, then turns frames into binary nodes and back.
 * What the nodes mean is the emulator's business, not this class's.
 */
export class ClientConnection {
  readonly id = ++connectionCounter;
  /** Set once the client logged in as a paired device. */
  device: number | undefined;
  /** Set while the client is an unpaired companion waiting for a QR scan. */
  registration: proto.ClientPayload.IDevicePairingRegistrationData | undefined;
  private readonly reader = new FrameReader();
  private readonly noise: NoiseResponder;
  private transport: NoiseTransport | undefined;
  private handshakeStep: 'hello' | 'finish' | 'done' = 'hello';
  // Decoding can be async (zlib), so frames are processed strictly in arrival order.
  private queue: Promise<void> = Promise.resolve();
  private readonly waiters = new Map<string, (node: BinaryNode) => void>();
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    staticKey: KeyPair,
    certChain: Uint8Array,
    private readonly handlers: ConnectionHandlers,
    private readonly logger: Logger,
  ) {
    this.noise = new NoiseResponder(staticKey, certChain);
    ws.on('message', (data: Buffer) => {
      this.queue = this.queue
        .then(() => this.receive(data))
        .catch((err) => {
          this.logger.warn({ err, connection: this.id }, 'dropping connection after a bad frame');
          this.terminate();
        });
    });
    ws.on('close', () => this.markClosed());
    ws.on('error', (err) => this.logger.debug({ err, connection: this.id }, 'client socket error'));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(node: BinaryNode): void {
    if (this.closed || !this.transport) return;
    this.logger.trace({ connection: this.id, tag: node.tag, attrs: node.attrs }, 'send node');
    this.ws.send(frame(this.transport.encrypt(encodeBinaryNode(node))));
  }

  /** Sends a node and waits for the client's reply with the same id (an iq result). */
  request(node: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    const id = node.attrs.id;
    if (!id) throw new Error('request needs an id');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no reply to ${node.tag} ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send(node);
    });
  }

  /** Closes after a stream error, leaving the client a moment to read it and close first. */
  closeSoon(graceMs = 200): void {
    if (this.closed) return;
    const timer = setTimeout(() => this.terminate(), graceMs);
    this.ws.once('close', () => clearTimeout(timer));
  }

  /** Abrupt close: no stream error, no close frame. */
  terminate(): void {
    this.ws.terminate();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiters.clear();
    this.handlers.onClose(this);
  }

  private async receive(data: Buffer): Promise<void> {
    for (const payload of this.reader.push(data)) {
      if (this.closed) return;
      if (this.handshakeStep !== 'done') {
        this.handshake(payload);
        continue;
      }
      const node = await decodeBinaryNode(this.transport!.decrypt(payload));
      this.logger.trace({ connection: this.id, tag: node.tag, attrs: node.attrs }, 'recv node');
      const waiter = node.attrs.id ? this.waiters.get(node.attrs.id) : undefined;
      if (waiter && node.tag === 'iq') {
        this.waiters.delete(node.attrs.id!);
        waiter(node);
        continue;
      }
      this.handlers.onNode(this, node);
    }
  }

  private handshake(payload: Buffer): void {
    const message = proto.HandshakeMessage.decode(payload);
    if (this.handshakeStep === 'hello') {
      if (!message.clientHello) throw new Error('expected client hello');
      this.ws.send(frame(this.noise.serverHello(message.clientHello)));
      this.handshakeStep = 'finish';
      return;
    }
    if (!message.clientFinish) throw new Error('expected client finish');
    const { clientStatic, payload: clientPayload, transport } = this.noise.clientFinish(message.clientFinish);
    this.transport = transport;
    this.handshakeStep = 'done';
    this.handlers.onHandshake(this, { clientStatic, payload: clientPayload });
  }
}
