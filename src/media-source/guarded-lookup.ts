/**
 * A DNS lookup for node:http(s) that checks every address a name resolves to before the socket
 * connects. Because the connection uses exactly the addresses this function hands back, there is
 * no gap between the check and the connect for a rebinding DNS server to slip a private address
 * into (a separate "resolve, check, then fetch by name" would resolve twice).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';

/** The shape of dns.lookup that the guard wraps; tests inject a resolver with fixed answers. */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/** Thrown (through the lookup callback) when a name resolves to an address the policy refuses. */
export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor(readonly hostname: string) {
    super(`${hostname} resolves to an address that is not allowed`);
    this.name = 'AddressNotAllowedError';
  }
}

export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const one = options as LookupOneOptions & { all?: boolean };
    resolve(hostname, { family: one.family, hints: one.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '', 4);
      }
      // Every answer, not just the first: with autoSelectFamily the socket may try any of them.
      if (!addresses.every((a) => policy(a.address))) return callback(new AddressNotAllowedError(hostname), '', 4);
      if (one.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}
