/**
 * A proxy a session's WhatsApp traffic goes through (WA_PROXY_URL for `default`, `proxy_url` of
 * POST /api/sessions for the others): an HTTP proxy (CONNECT tunnels, over TLS for https://) or a
 * SOCKS5 proxy (socks5h: the proxy resolves host names; socks5: we do). Its URL may carry a user
 * and password, so the address never shows them: JSON, string and log forms are the redacted
 * `scheme://host:port`, and the credentials sit in private fields that no serializer enumerates.
 *
 * No address policy applies (unlike media URLs a client gives, src/media-source/address-policy.ts):
 * the proxy is chosen by the operator or an admin, and a proxy on a private address is the usual case.
 */

export type ProxyProtocol = 'http' | 'https' | 'socks5' | 'socks5h';

const DEFAULT_PORTS: Record<ProxyProtocol, number> = { http: 80, https: 443, socks5: 1080, socks5h: 1080 };

/** What a proxy URL must look like, for error messages (never echoing the value, which may hold a password). */
export const PROXY_URL_FORM =
  'an http://, https://, socks5:// or socks5h:// URL with a host (and optional user:password@ and :port), e.g. socks5://user:pass@proxy.example.com:1080';

export class ProxyAddress {
  readonly #username: string;
  readonly #password: string;

  private constructor(
    readonly protocol: ProxyProtocol,
    /** Without IPv6 brackets, as net.connect takes it. */
    readonly host: string,
    readonly port: number,
    username: string,
    password: string,
  ) {
    this.#username = username;
    this.#password = password;
  }

  /** The address, or undefined when `text` is not a proxy URL of a supported kind. */
  static parse(text: string): ProxyAddress | undefined {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      return undefined;
    }
    const protocol = url.protocol.slice(0, -1) as ProxyProtocol;
    if (!(protocol in DEFAULT_PORTS) || !url.hostname) return undefined;
    // A proxy URL names a host, nothing more: a path, query or fragment means a typo.
    if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) return undefined;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[protocol];
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      return undefined;
    }
    return new ProxyAddress(protocol, host, port, username, password);
  }

  get credentials(): { username: string; password: string } | undefined {
    return this.#username || this.#password ? { username: this.#username, password: this.#password } : undefined;
  }

  /** `scheme://host:port`: what GET /api/sessions and the logs show. */
  get redacted(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.protocol}://${host}:${this.port}`;
  }

  /** The full URL, credentials included: only for sealing it into the store. */
  secretUrl(): string {
    const auth = this.credentials ? `${encodeURIComponent(this.#username)}:${encodeURIComponent(this.#password)}@` : '';
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.protocol}://${auth}${host}:${this.port}`;
  }

  toString(): string {
    return this.redacted;
  }

  toJSON(): string {
    return this.redacted;
  }
}
