/**
 * The chat WebSocket (`/ws/chat`) and its open connections, and the faults a test can cause on
 * them: stream errors (515 restart, 440 replaced, 401 removed), sockets dropped without a word, and
 * the whole server going away and coming back on the same port with its state kept.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { ClientConnection, type ConnectionHandlers } from './client-connection.js';
import type { KickCode } from './emulator-api.js';
import type { PairedDevices } from './paired-devices.js';

/** A stream error as WhatsApp sends it, then the connection closes. */
export function streamError(connection: ClientConnection, code: KickCode): void {
  const content: BinaryNode[] | undefined =
    code === 440 ? [{ tag: 'conflict', attrs: { type: 'replaced' } }] : code === 401 ? [{ tag: 'conflict', attrs: { type: 'device_removed' } }] : undefined;
  connection.send({ tag: 'stream:error', attrs: code === 440 ? {} : { code: String(code) }, content });
  connection.closeSoon();
}

export class ChatListener {
  private readonly open = new Set<ClientConnection>();
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private listeningPort = 0;

  constructor(
    private readonly staticKey: KeyPair,
    private readonly certChain: Uint8Array,
    private readonly handlers: ConnectionHandlers,
    private readonly devices: PairedDevices,
    private readonly logger: Logger,
    readonly host = '127.0.0.1',
  ) {}

  get port(): number {
    return this.listeningPort;
  }

  /** Open client connections right now, handshaken or not. */
  get size(): number {
    return this.open.size;
  }

  connections(): ClientConnection[] {
    return [...this.open];
  }

  /** The open connection logged in as this companion device JID. */
  connectionFor(deviceJid: string): ClientConnection | undefined {
    return [...this.open].find((connection) => connection.device !== undefined && this.devices.get(connection.device)?.jid === deviceJid);
  }

  async listen(port = 0): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    const wss = new WebSocketServer({ server, path: '/ws/chat' });
    wss.on('connection', (ws) => {
      const connection = new ClientConnection(
        ws,
        this.staticKey,
        this.certChain,
        {
          onHandshake: (shaken, result) => this.handlers.onHandshake(shaken, result),
          onNode: (from, node) => this.handlers.onNode(from, node),
          onClose: (closed) => {
            this.open.delete(closed);
            this.handlers.onClose(closed);
          },
        },
        this.logger,
      );
      this.open.add(connection);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.server = server;
    this.wss = wss;
    this.listeningPort = (server.address() as AddressInfo).port;
  }

  /** Stream error to every logged-in connection; 401 also marks its device removed. */
  kick(code: KickCode): number {
    const targets = [...this.open].filter((connection) => connection.device !== undefined);
    for (const connection of targets) {
      if (code === 401) this.devices.get(connection.device!)!.removed = true;
      streamError(connection, code);
    }
    return targets.length;
  }

  dropConnections(): number {
    const targets = [...this.open];
    for (const connection of targets) connection.terminate();
    return targets.length;
  }

  async goAway(): Promise<void> {
    this.dropConnections();
    const { server, wss } = this;
    this.server = undefined;
    this.wss = undefined;
    wss?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async comeBack(): Promise<void> {
    if (this.server) return;
    await this.listen(this.listeningPort);
  }
}
