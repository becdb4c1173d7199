/**
 * A TCP connection to `host:port` through a proxy: an HTTP CONNECT tunnel or a SOCKS5 connect.
 * The socket it gives is the raw tunnel; whoever needs TLS to the target (media hosts, wss://)
 * starts it on top. Every failure is a ProxyTunnelError whose message names the proxy only by its
 * redacted address: the errors reach logs and the session's status, credentials must not.
 */
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { loadOnFirstUse } from '../load-on-first-use.js';
import type { ProxyAddress } from './proxy-address.js';

/** socks (and its IP address library) is loaded by the first SOCKS5 tunnel: most gateways use no proxy. */
const socks = loadOnFirstUse<typeof import('socks')>('socks');

/** Waiting longer for a tunnel than Baileys waits for a connection (20 s) helps no one. */
export const TUNNEL_TIMEOUT_MS = 20_000;
/** A proxy's answer to CONNECT is a status line and a few headers; more is not a proxy. */
const MAX_CONNECT_RESPONSE_BYTES = 16 * 1024;

export class ProxyTunnelError extends Error {
  override readonly name = 'ProxyTunnelError';
}

export interface TunnelTarget {
  host: string;
  port: number;
}

export async function openTunnel(proxy: ProxyAddress, target: TunnelTarget, timeoutMs = TUNNEL_TIMEOUT_MS): Promise<Socket> {
  const where = `proxy ${proxy.redacted} could not open a tunnel to ${target.host}:${target.port}`;
  try {
    return proxy.protocol === 'http' || proxy.protocol === 'https' ? await httpConnect(proxy, target, timeoutMs) : await socksConnect(proxy, target, timeoutMs);
  } catch (error) {
    // Only the message: a SOCKS error carries its options (the password) as a property.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProxyTunnelError(`${where}: ${reason}`);
  }
}

async function socksConnect(proxy: ProxyAddress, target: TunnelTarget, timeoutMs: number): Promise<Socket> {
  // socks5: the name is resolved here, the proxy gets an address; socks5h: the proxy resolves it.
  const host = proxy.protocol === 'socks5' && !isIP(target.host) ? (await lookup(target.host)).address : target.host;
  const credentials = proxy.credentials;
  const { socket } = await socks().SocksClient.createConnection({
    command: 'connect',
    proxy: { host: proxy.host, port: proxy.port, type: 5, ...(credentials ? { userId: credentials.username, password: credentials.password } : {}) },
    destination: { host, port: target.port },
    timeout: timeoutMs,
  });
  return socket;
}

function httpConnect(proxy: ProxyAddress, target: TunnelTarget, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket: Socket =
      proxy.protocol === 'https'
        ? tlsConnect({ host: proxy.host, port: proxy.port, servername: isIP(proxy.host) ? undefined : proxy.host, ALPNProtocols: ['http/1.1'] })
        : netConnect({ host: proxy.host, port: proxy.port });
    let received = Buffer.alloc(0);
    const fail = (reason: string) => {
      cleanup();
      socket.destroy();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onError = (error: Error) => fail(error.message);
    const onClose = () => fail('the proxy closed the connection');
    // Read in paused mode ('readable', not 'data'): once the listener goes, the socket is as a
    // fresh one, and whoever takes it starts reading with nothing lost.
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_CONNECT_RESPONSE_BYTES) fail('the proxy answered with no end of headers');
        return;
      }
      const statusLine = received.subarray(0, received.indexOf('\r\n')).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!status) return fail(`the proxy answered "${statusLine.slice(0, 80)}"`);
      if (status[1] !== '200') return fail(`the proxy answered ${statusLine.slice(9, 80).trim()}`);
      cleanup();
      // Bytes after the headers already belong to the tunnel (a server that speaks first).
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('readable', onReadable).off('error', onError).off('close', onClose);
    };
    socket.on('readable', onReadable).on('error', onError).on('close', onClose);
    const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const credentials = proxy.credentials;
    const auth = credentials ? `Proxy-Authorization: Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}\r\n` : '';
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  });
}
