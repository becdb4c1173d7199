/**
 * Group metadata, cached for the socket and the group routes. WhatsApp rate-limits metadata
 * queries, and Baileys makes one per group send unless it is given `cachedGroupMetadata`: with this
 * cache as that option, a burst of sends to one group makes one query. Entries live for the TTL
 * (GROUP_METADATA_TTL) and are refreshed by group events (see group-events.ts); lookups of a group
 * already being fetched share that one query.
 */
import type { GroupMetadata } from '@whiskeysockets/baileys';

export interface GroupMetadataCacheOptions {
  /** How long metadata is trusted without an event confirming it; 0 keeps nothing (every lookup queries). */
  ttlMs: number;
  /** Asks WhatsApp for the metadata (the current socket's groupMetadata). */
  query: (jid: string) => Promise<GroupMetadata>;
  now?: () => number;
}

interface Entry {
  metadata: GroupMetadata;
  expiresAt: number;
}

export class GroupMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<GroupMetadata>>();
  /** Phone JIDs of the LIDs metadata named (a pairing that does not go stale): who made a change. */
  private readonly phones = new Map<string, string>();
  /** Bumped by every invalidation, so a query that was in flight meanwhile does not store old news. */
  private readonly versions = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: GroupMetadataCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Baileys' `cachedGroupMetadata` socket option: never undefined, so Baileys never queries on its own. */
  readonly cachedGroupMetadata = (jid: string): Promise<GroupMetadata | undefined> => this.lookup(jid);

  /** Fresh metadata from the cache, or from one query shared by every caller waiting for it. */
  async lookup(jid: string): Promise<GroupMetadata> {
    const entry = this.entries.get(jid);
    if (entry && entry.expiresAt > this.now()) return entry.metadata;
    if (entry) this.entries.delete(jid);
    const pending = this.inFlight.get(jid);
    if (pending) return pending;
    const version = this.versions.get(jid) ?? 0;
    const query = this.options
      .query(jid)
      .then((metadata) => {
        if ((this.versions.get(jid) ?? 0) === version) this.store(metadata);
        else this.learnPhones(metadata.participants);
        return metadata;
      })
      .finally(() => {
        if (this.inFlight.get(jid) === query) this.inFlight.delete(jid);
      });
    this.inFlight.set(jid, query);
    return query;
  }

  /** Full metadata from WhatsApp (a create notification, the participating list). */
  store(metadata: GroupMetadata): void {
    this.learnPhones(metadata.participants);
    if (metadata.owner && metadata.ownerPn) this.learnPhones([{ id: metadata.owner, phoneNumber: metadata.ownerPn }]);
    if (this.options.ttlMs <= 0) return;
    this.entries.set(metadata.id, { metadata, expiresAt: this.now() + this.options.ttlMs });
  }

  /** A partial change (subject, description, settings) applied to a cached entry; its expiry stays. */
  merge(update: Partial<GroupMetadata> & { id: string }): void {
    const entry = this.entries.get(update.id);
    if (!entry) return;
    // `desc: undefined` is a removed description; other undefined fields are not news.
    const changes = Object.fromEntries(Object.entries(update).filter(([key, value]) => value !== undefined || key === 'desc'));
    entry.metadata = { ...entry.metadata, ...changes, participants: entry.metadata.participants };
  }

  /** Forgets a group (members changed, or the account changed it): the next lookup asks WhatsApp. */
  invalidate(jid: string): void {
    this.entries.delete(jid);
    this.inFlight.delete(jid);
    this.versions.set(jid, (this.versions.get(jid) ?? 0) + 1);
  }

  /** Everything, e.g. on a new connection: changes made while offline may not all be announced. */
  clear(): void {
    for (const jid of [...this.entries.keys(), ...this.inFlight.keys()]) this.invalidate(jid);
  }

  /** The phone JID of a LID, when group metadata or an event named both. */
  phoneOf(lid: string): string | undefined {
    return this.phones.get(lid);
  }

  learnPhones(participants: ReadonlyArray<{ id: string; phoneNumber?: string; lid?: string }>): void {
    // One account's groups name a bounded set of people; the cap only guards against a leak.
    if (this.phones.size > 50_000) this.phones.clear();
    for (const p of participants) {
      if (p.id.endsWith('@lid') && p.phoneNumber) this.phones.set(p.id, p.phoneNumber);
      else if (p.lid && p.id.endsWith('@s.whatsapp.net')) this.phones.set(p.lid, p.id);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
