/**
 * Tiny proxies for tests: an HTTP CONNECT proxy and a SOCKS5 proxy (RFC 1928, with the RFC 1929
 * user/password method), on 127.0.0.1. Each records the tunnels it opened (target host and port,
 * and the credentials it was given), so a test can prove which connections went through it; with
 * `refuse` set it turns every tunnel down (403 for CONNECT, "connection not allowed" for SOCKS).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Tunnel {
  host: string;
  port: number;
  /** user:password as the client sent it, if it did. */
  credentials?: string;
}

export interface TestProxy {
  /** http://127.0.0.1:PORT or socks5://127.0.0.1:PORT (add credentials as the test needs). */
  readonly url: string;
  readonly port: number;
  readonly tunnels: readonly Tunnel[];
  /** Tunnels to `port` opened so far. */
  tunnelsTo(port: number): number;
  /** Refuse every tunnel from now on (true) or accept again (false). */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, scheme: string, tunnels: Tunnel[], state: { refusing: boolean }): Promise<TestProxy> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the proxy has no port');
  return {
    url: `${scheme}://127.0.0.1:${address.port}`,
    port: address.port,
    tunnels,
    tunnelsTo: (port) => tunnels.filter((t) => t.port === port).length,
    refuse: (on) => (state.refusing = on),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Joins the client to a new connection to host:port; `ready` runs once that connection is up. */
function splice(client: Socket, host: string, port: number, sockets: Set<Socket>, ready: () => void, failed: () => void): void {
  const upstream = connect(port, host);
  sockets.add(upstream);
  upstream.once('connect', () => {
    ready();
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', () => {
    if (upstream.connecting) failed();
    client.destroy();
  });
  upstream.on('close', () => {
    sockets.delete(upstream);
    client.destroy();
  });
  client.on('close', () => upstream.destroy());
}

export async function startConnectProxy(): Promise<TestProxy> {
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const state = { refusing: false };
  const server = createServer((client) => {
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      client.pause();
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const request = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
      if (!request) return void client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      if (state.refusing) return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const host = request[1]!.replace(/^\[|\]$/g, '');
      const port = Number(request[2]);
      const auth = lines.find((l) => /^proxy-authorization:/i.test(l));
      const basic = auth ? /basic\s+(\S+)/i.exec(auth)?.[1] : undefined;
      const credentials = basic ? Buffer.from(basic, 'base64').toString('utf8') : undefined;
      splice(
        client,
        host,
        port,
        sockets,
        () => {
          tunnels.push({ host, port, ...(credentials ? { credentials } : {}) });
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          const rest = head.subarray(end + 4);
          if (rest.length > 0) client.unshift(rest);
          client.resume();
        },
        () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
      );
    };
    client.on('data', onData);
  });
  return listen(server, sockets, 'http', tunnels, state);
}

/** Reads exactly `n` bytes from a paused socket. */
function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tryRead = () => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      socket.off('readable', tryRead).off('close', onClose);
      resolve(chunk);
    };
    const onClose = () => reject(new Error('closed'));
    socket.on('readable', tryRead).on('close', onClose);
    tryRead();
  });
}

export async function startSocks5Proxy(): Promise<TestProxy> {
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const state = { refusing: false };
  const reply = (code: number) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
  const server = createServer((client) => {
    client.on('error', () => client.destroy());
    void (async () => {
      const [version, count] = await readBytes(client, 2);
      if (version !== 5) return client.destroy();
      const methods = [...(await readBytes(client, count!))];
      let credentials: string | undefined;
      if (methods.includes(2)) {
        client.write(Buffer.from([5, 2]));
        const [, userLength] = await readBytes(client, 2);
        const user = await readBytes(client, userLength!);
        const [passwordLength] = await readBytes(client, 1);
        const password = await readBytes(client, passwordLength!);
        credentials = `${user.toString('utf8')}:${password.toString('utf8')}`;
        client.write(Buffer.from([1, 0]));
      } else if (methods.includes(0)) client.write(Buffer.from([5, 0]));
      else return client.end(Buffer.from([5, 0xff]));
      const [, command, , addressType] = await readBytes(client, 4);
      let host: string;
      if (addressType === 1) host = [...(await readBytes(client, 4))].join('.');
      else if (addressType === 3) host = (await readBytes(client, (await readBytes(client, 1))[0]!)).toString('utf8');
      else return client.end(reply(8));
      const port = (await readBytes(client, 2)).readUInt16BE(0);
      if (command !== 1) return client.end(reply(7));
      if (state.refusing) return client.end(reply(2));
      splice(
        client,
        host,
        port,
        sockets,
        () => {
          tunnels.push({ host, port, ...(credentials ? { credentials } : {}) });
          client.write(reply(0));
        },
        () => client.end(reply(5)),
      );
    })().catch(() => client.destroy());
  });
  return listen(server, sockets, 'socks5', tunnels, state);
}
