import { createHash, randomBytes } from 'node:crypto';
import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';

/** An encrypted blob as Baileys uploaded it (AES-CBC ciphertext followed by a 10-byte MAC). */
export interface UploadedBlob {
  /** base64 of sha256(blob): the message's fileEncSha256. */
  encSha256: string;
  mediaPath: string;
  directPath: string;
  body: Buffer;
  receivedAt: Date;
}

const toBase64Url = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export interface MediaServerOptions {
  /**
   * A media host that ends idle keep-alive connections after this many ms without announcing it
   * (no Keep-Alive hint), as many servers and load balancers do. A request that arrives on a
   * connection idle this long is reset unanswered: what a client sees when its request crosses the
   * server's close. Default: Node's own 5 s cut-off, announced in a Keep-Alive header.
   */
  idleCutoffMs?: number;
}

/**
 * The media host (what `media_conn` points Baileys at): HTTPS on 127.0.0.1 with a certificate made
 * at start, because Baileys hard-codes https for uploads. Accepts uploads, checks the URL's hash
 * against the body, and serves blobs back by direct path.
 */
export class MediaServer {
  readonly auth = randomBytes(16).toString('base64');
  private readonly blobs = new Map<string, UploadedBlob>();
  private readonly byDirectPath = new Map<string, UploadedBlob>();
  /** When each keep-alive connection last finished a response. */
  private readonly idleSince = new WeakMap<Socket, number>();
  /** Requests reset because they came on a connection past the idle cut-off. */
  connectionsCut = 0;

  private constructor(
    private readonly server: Server,
    readonly caPem: string,
    readonly agent: Agent,
    private readonly logger: Logger,
    options: MediaServerOptions,
  ) {
    const { idleCutoffMs } = options;
    // 0 turns off Node's own (announced) cut-off; the unannounced one is applied per request below.
    if (idleCutoffMs !== undefined) server.keepAliveTimeout = 0;
    server.on('request', (req, res) => {
      const socket = req.socket;
      const idleSince = this.idleSince.get(socket);
      if (idleCutoffMs !== undefined && idleSince !== undefined && Date.now() - idleSince >= idleCutoffMs) {
        this.connectionsCut++;
        this.logger.debug({ idleMs: Date.now() - idleSince }, 'request on a connection past the idle cut-off: reset');
        socket.destroy();
        return;
      }
      res.on('finish', () => this.idleSince.set(socket, Date.now()));
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { status, body } = this.handle(req.method ?? 'GET', req.url ?? '/', Buffer.concat(chunks));
        res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' });
        res.end(body);
      });
    });
  }

  static async start(logger: Logger, options: MediaServerOptions = {}): Promise<MediaServer> {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    const server = createServer({ key: pems.private, cert: pems.cert });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    // keepAlive off: a pooled socket would keep the test process alive after stop().
    const agent = new Agent({ ca: pems.cert, keepAlive: false });
    return new MediaServer(server, pems.cert, agent, logger, options);
  }

  /** host:port, as `media_conn` advertises it. */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Looks a blob up by the message's fileEncSha256 (base64 or base64url). */
  blob(fileEncSha256: Uint8Array | string): UploadedBlob | undefined {
    const b64 = typeof fileEncSha256 === 'string' ? fileEncSha256 : Buffer.from(fileEncSha256).toString('base64');
    return this.blobs.get(toBase64Url(b64));
  }

  /** Stores a blob as if uploaded (for media the emulator itself sends). */
  store(mediaPath: string, body: Buffer): UploadedBlob {
    const encSha256 = createHash('sha256').update(body).digest('base64');
    const token = toBase64Url(encSha256);
    const directPath = `/v/t62.7118-24/${randomBytes(8).toString('hex')}.enc?ccb=11-4&oh=${token.slice(0, 12)}`;
    const blob: UploadedBlob = { encSha256, mediaPath, directPath, body, receivedAt: new Date() };
    this.blobs.set(token, blob);
    this.byDirectPath.set(directPath.split('?')[0]!, blob);
    return blob;
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, rawUrl: string, body: Buffer): { status: number; body: string | Buffer } {
    const url = new URL(rawUrl, 'https://emulator.invalid');
    if (method === 'GET') {
      const blob = this.byDirectPath.get(url.pathname);
      return blob ? { status: 200, body: blob.body } : { status: 404, body: '{"error":"not found"}' };
    }
    const match = /^(\/mms\/[a-z-]+)\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (method !== 'POST' || !match) return { status: 404, body: '{"error":"not found"}' };
    if (url.searchParams.get('auth') !== this.auth) return { status: 401, body: '{"error":"bad auth"}' };
    const [, mediaPath, token] = match as unknown as [string, string, string];
    const actual = toBase64Url(createHash('sha256').update(body).digest('base64'));
    if (actual !== token) {
      this.logger.warn({ token, actual }, 'upload body does not match the hash in its URL');
      return { status: 400, body: '{"error":"hash mismatch"}' };
    }
    const blob = this.store(mediaPath, body);
    this.logger.debug({ mediaPath, size: body.length }, 'media uploaded');
    return {
      status: 200,
      body: JSON.stringify({ url: `https://${this.host}${blob.directPath}`, direct_path: blob.directPath }),
    };
  }
}
