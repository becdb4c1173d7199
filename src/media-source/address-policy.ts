/**
 * Which network addresses a media URL may lead to. The production default refuses every address
 * that reaches into the gateway's own host or network (SSRF): loopback, private, carrier-grade NAT,
 * link-local (cloud metadata lives at 169.254.169.254), unique-local, unspecified, multicast,
 * broadcast and reserved ranges, also when written as IPv4-mapped or NAT64 IPv6.
 * Policies are plain predicates so tests can inject one that treats a loopback test server as public.
 */
import { BlockList, isIP } from 'node:net';

/** true = the gateway may connect to this (already resolved) IP address. */
export type AddressPolicy = (address: string) => boolean;

const IPV4_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (Alibaba's metadata at 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast 255.255.255.255
];

const IPV6_BLOCKED: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // unspecified ::, loopback ::1 and the old IPv4-compatible form
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address of any kind
  ['fc00::', 7], // unique-local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
];

function ipv4ToGroups(address: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function buildBlockList(): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of IPV4_BLOCKED) {
    // BlockList also matches these against IPv4-mapped IPv6 (::ffff:127.0.0.1).
    list.addSubnet(network, prefix, 'ipv4');
    // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address through the local translator.
    list.addSubnet(`64:ff9b::${ipv4ToGroups(network)}`, 96 + prefix, 'ipv6');
  }
  for (const [network, prefix] of IPV6_BLOCKED) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const BLOCKED = buildBlockList();

/** The production policy: only public unicast addresses. Anything that is not an IP is refused. */
export const isPublicAddress: AddressPolicy = (address) => {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return false;
  return !BLOCKED.check(bare, family === 4 ? 'ipv4' : 'ipv6');
};

export const allowAnyAddress: AddressPolicy = (address) => isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')) !== 0;

/** Host names of cloud metadata services, refused by name as well (they may resolve through a private DNS). */
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal']);

export function isMetadataHost(hostname: string): boolean {
  return METADATA_HOSTS.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/** The policy for MEDIA_URL_ALLOW_PRIVATE. */
export function addressPolicyFor(allowPrivate: boolean): AddressPolicy {
  return allowPrivate ? allowAnyAddress : isPublicAddress;
}
