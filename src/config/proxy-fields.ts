/**
 * The proxy keys: TRUST_PROXY (the proxies in front of the gateway, for Express) and WA_PROXY_URL
 * (the proxy the default session reaches WhatsApp through), as zod fields like env-fields.ts's.
 */
import { z } from 'zod';
import { PROXY_URL_FORM, ProxyAddress } from '../proxy/proxy-address.js';

/**
 * Express "trust proxy": false (default: the socket address is the client), true (trust every hop;
 * only behind a proxy that overwrites X-Forwarded-For), a hop count, or a list of addresses/subnets
 * ("loopback", "10.0.0.0/8").
 */
export const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v): boolean | number | string[] => {
    if (v === undefined || v === '' || /^(false|0|no|off)$/i.test(v)) return false;
    if (/^(true|yes|on)$/i.test(v)) return true;
    if (/^\d+$/.test(v)) return Number(v);
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  });

/** A proxy URL (WA_PROXY_URL), or null when unset. A bad value is not echoed: it may hold a password. */
export const proxyUrl = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): ProxyAddress | null => {
    if (v === undefined || v === '') return null;
    const proxy = ProxyAddress.parse(v);
    if (!proxy) {
      ctx.addIssue({ code: 'custom', message: `expected ${PROXY_URL_FORM}` });
      return z.NEVER;
    }
    return proxy;
  });
