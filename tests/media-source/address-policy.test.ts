import { describe, expect, test } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { addressPolicyFor, isMetadataHost, isPublicAddress } from '../../src/media-source/address-policy.js';
import { AddressNotAllowedError, guardedLookup } from '../../src/media-source/guarded-lookup.js';
import { fixedResolver } from './test-servers.js';

const REFUSED = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network"'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback, end of range'],
  ['10.0.0.1', 'RFC1918 10/8'],
  ['172.16.0.1', 'RFC1918 172.16/12'],
  ['172.31.255.255', 'RFC1918 172.16/12, end'],
  ['192.168.1.1', 'RFC1918 192.168/16'],
  ['100.64.0.1', 'CGNAT'],
  ['100.100.100.200', 'CGNAT (Alibaba metadata)'],
  ['169.254.169.254', 'link-local, cloud metadata'],
  ['169.254.0.1', 'link-local'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['[::1]', 'IPv6 loopback as a URL writes it'],
  ['fe80::1', 'IPv6 link-local'],
  ['fe80::1%eth0', 'IPv6 link-local with a zone'],
  ['fc00::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local (AWS metadata)'],
  ['ff02::1', 'IPv6 multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form (as the URL parser writes it)'],
  ['::ffff:10.1.2.3', 'IPv4-mapped private'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
  ['2002:7f00:1::1', '6to4'],
  ['localhost', 'not an address at all'],
  ['', 'empty'],
] as const;

const ALLOWED = [
  ['93.184.215.14', 'public IPv4'],
  ['8.8.8.8', 'public IPv4'],
  ['100.63.255.255', 'just below CGNAT'],
  ['100.128.0.0', 'just above CGNAT'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.0', 'just above 172.16/12'],
  ['169.253.255.255', 'just below link-local'],
  ['11.0.0.1', 'just above 10/8'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::808:808', 'NAT64 of a public address'],
] as const;

describe('the production address policy', () => {
  test.each(REFUSED)('refuses %s (%s)', (address, _why) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(ALLOWED)('allows %s (%s)', (address, _why) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  test('MEDIA_URL_ALLOW_PRIVATE=true allows every address, and still nothing that is not one', () => {
    const allowAll = addressPolicyFor(true);
    for (const [address] of REFUSED.filter(([a]) => a !== 'localhost' && a !== '')) expect(allowAll(address)).toBe(true);
    expect(allowAll('localhost')).toBe(false);
    expect(addressPolicyFor(false)).toBe(isPublicAddress);
  });

  test('cloud metadata host names are recognised whatever their case or trailing dot', () => {
    expect(isMetadataHost('metadata.google.internal')).toBe(true);
    expect(isMetadataHost('METADATA.Google.Internal.')).toBe(true);
    expect(isMetadataHost('instance-data')).toBe(true);
    expect(isMetadataHost('example.com')).toBe(false);
  });
});

function lookupAll(lookup: ReturnType<typeof guardedLookup>, hostname: string, all: boolean) {
  return new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((resolve) => {
    lookup(hostname, { all } as never, (error: NodeJS.ErrnoException | null, result: unknown) => resolve({ error, result }));
  });
}

describe('the guarded lookup', () => {
  test('with the production policy and the system resolver, localhost is refused', async () => {
    const { error } = await lookupAll(guardedLookup(isPublicAddress), 'localhost', true);
    expect(error).toBeInstanceOf(AddressNotAllowedError);
    const single = await lookupAll(guardedLookup(isPublicAddress), 'localhost', false);
    expect(single.error).toBeInstanceOf(AddressNotAllowedError);
  });

  test('names the system resolver reads as numbers are judged by the address they resolve to', async () => {
    // The URL parser normalises these before they get here; the lookup must not depend on that.
    for (const name of ['2130706433', '0x7f.1', '127.1', '0177.0.0.1']) {
      const { error } = await lookupAll(guardedLookup(isPublicAddress), name, true);
      expect(error).toBeInstanceOf(AddressNotAllowedError);
    }
  });

  test('a name with one private address among public ones is refused as a whole', async () => {
    const lookup = guardedLookup(isPublicAddress, fixedResolver({ 'mixed.test': ['8.8.8.8', '10.0.0.1'] }));
    expect((await lookupAll(lookup, 'mixed.test', true)).error).toBeInstanceOf(AddressNotAllowedError);
  });

  test('allowed answers are handed on unchanged, as a list or as the first address', async () => {
    const lookup = guardedLookup(isPublicAddress, fixedResolver({ 'public.test': ['8.8.8.8', '2606:4700:4700::1111'] }));
    const all = await lookupAll(lookup, 'public.test', true);
    expect(all.error).toBeNull();
    expect(all.result as LookupAddress[]).toEqual([
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ]);
    const one = await new Promise<unknown[]>((resolve) => lookup('public.test', {}, (...args: unknown[]) => resolve(args)));
    expect(one).toEqual([null, '8.8.8.8', 4]);
  });

  test('a name that does not resolve keeps its DNS error', async () => {
    const { error } = await lookupAll(guardedLookup(isPublicAddress, fixedResolver({})), 'nowhere.test', true);
    expect(error?.code).toBe('ENOTFOUND');
  });
});
