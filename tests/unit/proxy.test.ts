/**
 * Proxy addresses (parsed, redacted) and tunnels through real proxies on loopback: the HTTP
 * CONNECT and SOCKS5 test proxies of tests/support, with and without credentials, a refusing
 * proxy, and an unreachable one. The agents carry plain HTTP and HTTPS (a self-signed target
 * trusted through its CA) through the tunnel.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { generate } from 'selfsigned';
import { buildConnector, fetch, Agent as UndiciAgent } from 'undici';
import { ProxyAddress } from '../../src/proxy/proxy-address.js';
import { tunnelConnector, webSocketAgent } from '../../src/proxy/proxy-agents.js';
import { openTunnel, ProxyTunnelError } from '../../src/proxy/proxy-tunnel.js';
import { MediaUploadAgent } from '../../src/whatsapp/baileys/media-upload-agent.js';
import { loadConfig } from '../../src/config/config.js';
import { startConnectProxy, startSocks5Proxy, type TestProxy } from '../support/test-proxies.js';

const parse = (url: string) => {
  const proxy = ProxyAddress.parse(url);
  if (!proxy) throw new Error(`not a proxy URL: ${url}`);
  return proxy;
};

describe('ProxyAddress', () => {
  test('accepts http, https, socks5 and socks5h URLs, with default ports', () => {
    expect(parse('http://proxy.example.com').redacted).toBe('http://proxy.example.com:80');
    expect(parse('https://proxy.example.com').redacted).toBe('https://proxy.example.com:443');
    expect(parse('socks5://10.0.0.1').redacted).toBe('socks5://10.0.0.1:1080');
    expect(parse('SOCKS5H://[::1]:9050/').redacted).toBe('socks5h://[::1]:9050');
    expect(parse('socks5h://[::1]:9050').host).toBe('::1');
  });

  test('refuses other schemes, paths, queries and malformed URLs', () => {
    for (const bad of ['ftp://x:21', 'socks4://x:1080', 'http://x:80/path', 'http://x?y=1', 'http://x#f', 'x:80', '', 'http://', 'http://a:b%zz@x']) {
      expect(ProxyAddress.parse(bad)).toBeUndefined();
    }
  });

  test('never shows its credentials: not in JSON, strings, inspect or the redacted form', () => {
    const proxy = parse('socks5://alice:s3cr%40t@proxy.example.com:1080');
    expect(proxy.credentials).toEqual({ username: 'alice', password: 's3cr@t' });
    for (const shown of [JSON.stringify({ proxy }), String(proxy), `${proxy}`, inspect(proxy), proxy.redacted]) {
      expect(shown).not.toContain('s3cr');
      expect(shown).not.toContain('alice');
    }
    expect(ProxyAddress.parse(proxy.secretUrl())?.credentials).toEqual({ username: 'alice', password: 's3cr@t' });
  });

  test('WA_PROXY_URL: parsed; a bad value is refused without echoing it', () => {
    expect(loadConfig({ WA_PROXY_URL: 'socks5h://u:p@127.0.0.1:1080' }).waProxy?.redacted).toBe('socks5h://127.0.0.1:1080');
    expect(loadConfig({}).waProxy).toBeNull();
    expect(() => loadConfig({ WA_PROXY_URL: 'ftp://user:hunter2@x' })).toThrow(/WA_PROXY_URL: expected an http:\/\//);
    try {
      loadConfig({ WA_PROXY_URL: 'ftp://user:hunter2@x' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });
});

describe('tunnels through real proxies', () => {
  let httpTarget: Server;
  let httpsTarget: Server;
  let httpPort: number;
  let httpsPort: number;
  let ca: string;
  let connect: TestProxy;
  let socks: TestProxy;

  beforeAll(async () => {
    httpTarget = createHttpServer((req, res) => res.end(`plain ${req.url}`));
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    ca = pems.cert;
    httpsTarget = createHttpsServer({ key: pems.private, cert: pems.cert }, (req, res) => res.end(`secure ${req.url}`));
    await Promise.all([httpTarget, httpsTarget].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    httpPort = (httpTarget.address() as AddressInfo).port;
    httpsPort = (httpsTarget.address() as AddressInfo).port;
    [connect, socks] = await Promise.all([startConnectProxy(), startSocks5Proxy()]);
  });

  afterAll(async () => {
    await Promise.all([connect?.close(), socks?.close()]);
    for (const s of [httpTarget, httpsTarget]) s.closeAllConnections();
    await Promise.all([httpTarget, httpsTarget].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  const get = (agentRequest: typeof httpRequest, options: RequestOptions) =>
    new Promise<string>((resolve, reject) => {
      const req = agentRequest(options, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });

  const withCredentials = (proxy: TestProxy) => proxy.url.replace('://', '://alice:s%3Ac@');

  test.each([
    ['http CONNECT', () => connect, 'http'],
    ['socks5', () => socks, 'socks5'],
    ['socks5h', () => socks, 'socks5h'],
  ])('%s: plain and TLS requests go through the tunnel, credentials reach the proxy', async (_kind, proxyOf, scheme) => {
    const proxy = proxyOf();
    const address = parse(withCredentials(proxy).replace(/^\w+:/, `${scheme}:`));
    const before = proxy.tunnels.length;
    const plain = await get(httpRequest, { host: '127.0.0.1', port: httpPort, path: '/a', agent: webSocketAgent(address, 'ws://x') });
    expect(plain).toBe('plain /a');
    const secure = await get(httpsRequest, { host: '127.0.0.1', port: httpsPort, path: '/b', ca, agent: webSocketAgent(address, 'wss://x') });
    expect(secure).toBe('secure /b');
    const upload = new MediaUploadAgent({ ca, proxy: address });
    expect(await get(httpsRequest, { host: '127.0.0.1', port: httpsPort, path: '/c', agent: upload })).toBe('secure /c');
    upload.destroy();
    const undici = new UndiciAgent({ connect: tunnelConnector(address, buildConnector, ca) });
    expect(await (await fetch(`https://127.0.0.1:${httpsPort}/d`, { dispatcher: undici })).text()).toBe('secure /d');
    await undici.close();
    const opened = proxy.tunnels.slice(before);
    expect(opened.map((t) => t.port)).toEqual([httpPort, httpsPort, httpsPort, httpsPort]);
    expect(opened.every((t) => t.credentials === 'alice:s:c')).toBe(true);
  });

  test('a refusing proxy fails the tunnel with a message that names it without credentials', async () => {
    for (const proxy of [connect, socks]) {
      proxy.refuse(true);
      try {
        const error = await openTunnel(parse(withCredentials(proxy)), { host: '127.0.0.1', port: httpPort }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProxyTunnelError);
        const message = (error as Error).message;
        expect(message).toContain(`proxy ${proxy.url} could not open a tunnel to 127.0.0.1:${httpPort}`);
        expect(message).toMatch(/403 Forbidden|not allowed|rejected/i);
        expect(JSON.stringify({ ...(error as object), message })).not.toContain('s:c');
        expect(inspect(error)).not.toContain('alice');
      } finally {
        proxy.refuse(false);
      }
    }
  });

  test('an unreachable proxy fails the request, it does not hang', async () => {
    const closed = await startConnectProxy();
    const address = parse(closed.url);
    await closed.close();
    await expect(get(httpRequest, { host: '127.0.0.1', port: httpPort, path: '/', agent: webSocketAgent(address, 'ws://x') })).rejects.toThrow(
      /could not open a tunnel.*ECONNREFUSED/,
    );
  });
});
