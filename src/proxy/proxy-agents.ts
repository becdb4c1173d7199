/**
 * The connection makers that send a session's traffic through its proxy: one for Node's http and
 * https agents (the WhatsApp WebSocket, media uploads) and one for undici (media downloads, which
 * go through fetch). Each opens a tunnel to the target and, for TLS targets, starts TLS inside it,
 * so the proxy sees only the encrypted stream and the target's name and port.
 */
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { buildConnector } from 'undici';
import type { ProxyAddress } from './proxy-address.js';
import { openTunnel } from './proxy-tunnel.js';

type Created = (err: Error | null, stream: Duplex) => void;

/** Node's agents hand createConnection the request's options; the target is in host and port. */
function targetOf(options: ClientRequestArgs, secure: boolean): { host: string; port: number } {
  const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
  return { host, port: Number(options.port) || (secure ? 443 : 80) };
}

/**
 * An agent's createConnection through `proxy`: returns nothing at once (Node then waits for
 * `created`) and answers with the tunnel, or TLS inside it for https:// and wss:// targets.
 */
export function tunnelledConnection(proxy: ProxyAddress, secure: boolean) {
  return (options: ClientRequestArgs, created: Created): undefined => {
    openTunnel(proxy, targetOf(options, secure)).then(
      (tunnel) => {
        if (!secure) return created(null, tunnel);
        // Node's own options (ca, servername, session, ...) apply to the TLS session as without a proxy.
        created(null, tlsConnect({ ...(options as ConnectionOptions), socket: tunnel }));
      },
      (error: Error) => created(error, undefined as unknown as Duplex),
    );
    return undefined;
  };
}

class PlainTunnelAgent extends HttpAgent {
  private readonly connectThrough: ReturnType<typeof tunnelledConnection>;
  constructor(proxy: ProxyAddress) {
    super();
    this.connectThrough = tunnelledConnection(proxy, false);
  }
  override createConnection(options: ClientRequestArgs, created?: Created): undefined {
    return this.connectThrough(options, created!);
  }
}

class TlsTunnelAgent extends HttpsAgent {
  private readonly connectThrough: ReturnType<typeof tunnelledConnection>;
  constructor(proxy: ProxyAddress) {
    super();
    this.connectThrough = tunnelledConnection(proxy, true);
  }
  override createConnection(options: HttpsRequestOptions, created?: Created): undefined {
    return this.connectThrough(options, created!);
  }
}

/** The `agent` for a WebSocket to `wsUrl` through `proxy` (ws:// takes an http agent, wss:// an https one). */
export function webSocketAgent(proxy: ProxyAddress, wsUrl: string): HttpAgent {
  return new URL(wsUrl).protocol === 'wss:' ? new TlsTunnelAgent(proxy) : new PlainTunnelAgent(proxy);
}

/**
 * An undici connector through `proxy`; `ca`: the only certificate authority the targets' TLS
 * trusts (the emulator's media host), default the system's. undici is passed in, as its callers
 * load it lazily.
 */
export function tunnelConnector(proxy: ProxyAddress, build: typeof buildConnector, ca?: string): buildConnector.connector {
  const tls = build(ca ? { ca } : {});
  return (options, callback) => {
    const secure = options.protocol === 'https:';
    const target = { host: options.hostname.replace(/^\[|\]$/g, ''), port: Number(options.port) || (secure ? 443 : 80) };
    openTunnel(proxy, target).then(
      (tunnel) => (secure ? tls({ ...options, httpSocket: tunnel }, callback) : callback(null, tunnel)),
      (error: Error) => callback(error, null),
    );
  };
}
