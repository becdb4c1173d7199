import { getBinaryNodeChild, getBinaryNodeChildBuffer, getBinaryNodeChildren, jidDecode, KEY_BUNDLE_TYPE, type BinaryNode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ClientConnection } from './client-connection.js';
import { lidJid, pnJid, type Directory, type Person } from './directory.js';
import { answerGroupIq } from './group-iq.js';
import type { Groups } from './groups.js';
import type { PairedDevice, PairedDevices } from './paired-devices.js';
import type { PreKeyBundle } from './signal-party.js';

/** What the iq handlers need from the emulator. */
export interface IqContext {
  directory: Directory;
  devices: PairedDevices;
  groups: Groups;
  mediaHost: string;
  mediaAuth: string;
  logger: Logger;
  /** A companion asked to be unlinked (`sock.logout()`). */
  onDeviceRemoved(device: PairedDevice): void;
  /** A usync with the contact protocol (a number lookup, Baileys' onWhatsApp) asked about these phones. */
  onNumberLookup(phones: string[]): void;
  /** A companion issued its privacy (trusted-contact) token to these contacts. */
  onPrivacyTokens(jids: string[]): void;
}

type Handler = (ctx: IqContext, connection: ClientConnection, iq: BinaryNode) => BinaryNode[] | undefined;

const bigEndian = (value: number, bytes: number): Buffer => {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
};

const child = (iq: BinaryNode): BinaryNode | undefined => (Array.isArray(iq.content) ? iq.content[0] : undefined);

function bundleNode(jid: string, bundle: PreKeyBundle): BinaryNode {
  const content: BinaryNode[] = [
    { tag: 'registration', attrs: {}, content: bigEndian(bundle.registrationId, 4) },
    { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
    { tag: 'identity', attrs: {}, content: bundle.identityKey },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(bundle.signedPreKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
        { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
      ],
    },
  ];
  if (bundle.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(bundle.preKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.preKey.publicKey },
      ],
    });
  }
  return { tag: 'user', attrs: { jid }, content };
}

function loggedInDevice(ctx: IqContext, connection: ClientConnection): PairedDevice | undefined {
  return connection.device === undefined ? undefined : ctx.devices.get(connection.device);
}

/** Devices a person has, as usync lists them: the phone, plus the account's linked companions. */
function deviceList(ctx: IqContext, person: Person): BinaryNode {
  const devices: BinaryNode[] = [{ tag: 'device', attrs: { id: '0' } }];
  if (person.isAccount) {
    for (const device of ctx.devices.active()) {
      devices.push({ tag: 'device', attrs: { id: String(device.device), 'key-index': String(device.keyIndex) } });
    }
  }
  for (const id of person.companions.keys()) devices.push({ tag: 'device', attrs: { id: String(id), 'key-index': String(id) } });
  return {
    tag: 'devices',
    attrs: {},
    content: [
      { tag: 'device-list', attrs: {}, content: devices },
      { tag: 'key-index-list', attrs: { ts: Math.floor(Date.now() / 1000).toString() } },
    ],
  };
}

const usync: Handler = (ctx, _connection, iq) => {
  const request = getBinaryNodeChild(iq, 'usync');
  const queryContent = getBinaryNodeChild(request, 'query')?.content;
  const protocols = new Set(Array.isArray(queryContent) ? queryContent.map((node) => node.tag) : []);
  const users: BinaryNode[] = [];
  const askedPhones: string[] = [];
  for (const user of getBinaryNodeChildren(getBinaryNodeChild(request, 'list'), 'user')) {
    const contactNode = getBinaryNodeChild(user, 'contact');
    const raw = contactNode?.content;
    const phone = (typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString() : undefined)?.replace(/^\+/, '');
    const person = phone !== undefined ? ctx.directory.byPhoneNumber(phone) : user.attrs.jid ? ctx.directory.resolve(user.attrs.jid) : undefined;
    if (phone !== undefined) askedPhones.push(phone);
    const jid = user.attrs.jid ?? (phone !== undefined ? pnJid(phone) : undefined);
    if (!jid) continue;
    const content: BinaryNode[] = [];
    if (protocols.has('contact')) {
      content.push({ tag: 'contact', attrs: { type: person ? 'in' : 'out' }, content: phone !== undefined ? `+${phone}` : undefined });
    }
    if (person) {
      if (protocols.has('devices')) content.push(deviceList(ctx, person));
      if (protocols.has('lid')) content.push({ tag: 'lid', attrs: { val: lidJid(person.lid) } });
    }
    users.push({ tag: 'user', attrs: { jid: person && phone !== undefined ? pnJid(person.phone) : jid }, content });
  }
  if (protocols.has('contact')) ctx.onNumberLookup(askedPhones);
  return [
    {
      tag: 'usync',
      attrs: { ...request?.attrs, last: 'true', index: '0' },
      content: [
        { tag: 'result', attrs: {} },
        { tag: 'list', attrs: {}, content: users },
      ],
    },
  ];
};

/** Prekey bundle fetch. The account's phone gets the ADV account key as identity, as on the real network. */
const keyFetch: Handler = (ctx, _connection, iq) => {
  const users: BinaryNode[] = [];
  for (const user of getBinaryNodeChildren(getBinaryNodeChild(iq, 'key'), 'user')) {
    const jid = user.attrs.jid ?? '';
    const person = ctx.directory.resolve(jid);
    const device = jidDecode(jid)?.device ?? 0;
    if (!person) {
      ctx.logger.warn({ jid }, 'key fetch for an unknown user');
      continue;
    }
    if (device === 0) {
      users.push(bundleNode(jid, person.party.issueBundle()));
      continue;
    }
    const contactDevice = person.companions.get(device);
    if (contactDevice) {
      users.push(bundleNode(jid, contactDevice.issueBundle()));
      continue;
    }
    const companion = person.isAccount ? ctx.devices.get(device) : undefined;
    if (companion && !companion.removed) users.push(bundleNode(jid, ctx.devices.takeBundle(companion)));
    else ctx.logger.warn({ jid }, 'key fetch for an unknown device');
  }
  return [{ tag: 'list', attrs: {}, content: users }];
};

/** The companion's own key upload (`encrypt set`): kept so the emulator can encrypt to it. */
const keyUpload: Handler = (ctx, connection, iq) => {
  const device = loggedInDevice(ctx, connection);
  if (!device) return undefined;
  const registration = getBinaryNodeChildBuffer(iq, 'registration');
  const identity = getBinaryNodeChildBuffer(iq, 'identity');
  if (registration) device.registrationId = Buffer.from(registration).readUInt32BE(0);
  if (identity) device.identityKey = Buffer.from(identity);
  const skey = getBinaryNodeChild(iq, 'skey');
  if (skey) device.signedPreKey = readSignedPreKey(skey);
  for (const key of getBinaryNodeChildren(getBinaryNodeChild(iq, 'list'), 'key')) {
    const id = getBinaryNodeChildBuffer(key, 'id');
    const value = getBinaryNodeChildBuffer(key, 'value');
    if (id && value) device.preKeys.set(Buffer.from(id).readUIntBE(0, id.length), Buffer.from(value));
  }
  return undefined;
};

function readSignedPreKey(skey: BinaryNode): PairedDevice['signedPreKey'] {
  const id = getBinaryNodeChildBuffer(skey, 'id') ?? Buffer.alloc(3);
  return {
    keyId: Buffer.from(id).readUIntBE(0, id.length),
    publicKey: Buffer.from(getBinaryNodeChildBuffer(skey, 'value') ?? []),
    signature: Buffer.from(getBinaryNodeChildBuffer(skey, 'signature') ?? []),
  };
}

const encrypt: Handler = (ctx, connection, iq) => {
  const first = child(iq);
  const device = loggedInDevice(ctx, connection);
  switch (first?.tag) {
    case 'count':
      return [{ tag: 'count', attrs: { value: String(device?.preKeys.size ?? 0) } }];
    case 'digest':
      // Baileys only checks that a digest comes back; without one it re-uploads and warns.
      return [
        {
          tag: 'digest',
          attrs: {},
          content: device
            ? [
                { tag: 'registration', attrs: {}, content: bigEndian(device.registrationId, 4) },
                { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
                { tag: 'identity', attrs: {}, content: device.identityKey },
              ]
            : [],
        },
      ];
    case 'key':
      return keyFetch(ctx, connection, iq);
    case 'rotate': {
      const skey = getBinaryNodeChild(first, 'skey');
      if (device && skey) device.signedPreKey = readSignedPreKey(skey);
      return undefined;
    }
    default:
      return iq.attrs.type === 'set' ? keyUpload(ctx, connection, iq) : undefined;
  }
};

const PRIVACY_DEFAULTS: Record<string, string> = {
  last: 'all',
  online: 'all',
  profile: 'all',
  status: 'all',
  readreceipts: 'all',
  groupadd: 'all',
  calladd: 'all',
  messages: 'all',
};

const privacy: Handler = (ctx, _connection, iq) => {
  if (iq.attrs.type === 'set') {
    const tokens = getBinaryNodeChild(iq, 'tokens');
    if (tokens) ctx.onPrivacyTokens(getBinaryNodeChildren(tokens, 'token').map((token) => token.attrs.jid ?? ''));
    return undefined;
  }
  if (iq.attrs.type !== 'get') return undefined;
  return [
    {
      tag: 'privacy',
      attrs: {},
      content: Object.entries(PRIVACY_DEFAULTS).map(([name, value]) => ({ tag: 'category', attrs: { name, value } })),
    },
  ];
};

const mediaConn: Handler = (ctx) => [
  {
    tag: 'media_conn',
    attrs: { auth: ctx.mediaAuth, ttl: '3600', auth_ttl: '21600', max_buckets: '12' },
    content: [{ tag: 'host', attrs: { hostname: ctx.mediaHost, maxContentLengthBytes: String(100 * 1024 * 1024) } }],
  },
];

const md: Handler = (ctx, _connection, iq) => {
  const remove = getBinaryNodeChild(iq, 'remove-companion-device');
  const device = remove ? ctx.devices.get(jidDecode(remove.attrs.jid ?? '')?.device ?? -1) : undefined;
  if (device) ctx.onDeviceRemoved(device);
  return undefined;
};

const HANDLERS: Record<string, Handler> = {
  usync,
  encrypt,
  privacy,
  'w:m': mediaConn,
  md,
  'w:g2': (ctx, _connection, iq) => answerGroupIq(ctx.groups, ctx.directory, iq),
  abt: () => [{ tag: 'props', attrs: { protocol: '1' } }],
  blocklist: () => [{ tag: 'list', attrs: {} }],
};

/**
 * Answers a client iq. Anything without a dedicated handler (passive, ping, presence-ish queries,
 * new queries a later Baileys may add) gets an empty result, so no query can stall for
 * defaultQueryTimeoutMs.
 */
export function answerIq(ctx: IqContext, connection: ClientConnection, iq: BinaryNode): BinaryNode {
  const handler = HANDLERS[iq.attrs.xmlns ?? ''];
  let content: BinaryNode[] | undefined;
  try {
    content = handler?.(ctx, connection, iq);
  } catch (err) {
    ctx.logger.warn({ err, xmlns: iq.attrs.xmlns }, 'iq handler failed; answering with an empty result');
  }
  if (!handler) ctx.logger.debug({ xmlns: iq.attrs.xmlns, tag: child(iq)?.tag }, 'unhandled iq, empty result');
  return { tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'result', id: iq.attrs.id ?? '' }, content };
}
