/**
 * Baileys' group events (from WhatsApp's w:gp2 notifications) → the metadata cache and the port's
 * 'group-update' event. Member changes drop the cached entry (the next send or lookup asks
 * WhatsApp once: a send must reach the new member list); subject, description and settings are
 * applied to it in place; a new group's full metadata is stored. The actor of a change comes as a
 * LID in LID groups (Baileys rc14 drops the `participant_pn` WhatsApp sends with it), so the phone
 * is looked up in what group metadata told, then in Baileys' LID mapping store.
 */
import type { BaileysEventMap, GroupMetadata } from '@whiskeysockets/baileys';
import type { GroupEventMember, GroupUpdate, ParticipantAction } from '../group-port.js';
import type { GroupMetadataCache } from './group-metadata-cache.js';
import { author, eventMember, phoneOfJid } from './group-mapping.js';

type GroupEvents = Pick<BaileysEventMap, 'groups.upsert' | 'groups.update' | 'group-participants.update'>;
interface EventSource {
  on<T extends keyof GroupEvents>(event: T, listener: (arg: GroupEvents[T]) => void): void;
}

export interface GroupEventDeps {
  cache: GroupMetadataCache;
  emit: (update: GroupUpdate) => void;
  /** Baileys' LID → phone JID store (the socket's signalRepository.lidMapping). */
  phoneOfLid?: (lid: string) => Promise<string | null | undefined>;
  onError?: (error: unknown) => void;
}

const ACTIONS: readonly string[] = ['add', 'remove', 'promote', 'demote'] satisfies ParticipantAction[];

export function watchGroupEvents(ev: EventSource, { cache, emit, phoneOfLid, onError }: GroupEventDeps): void {
  // Events go out in the order WhatsApp sent them, even when an actor's phone needs a lookup.
  let queue = Promise.resolve();
  const publish = (update: Omit<GroupUpdate, 'author'>, actor: GroupEventMember | null) => {
    const known = actor?.lid && !actor.phone ? phoneOfJid(cache.phoneOf(actor.lid)) : undefined;
    const named = actor && known ? { ...actor, phone: known } : actor;
    queue = queue
      .then(async () => {
        let full = named;
        if (full?.lid && !full.phone && phoneOfLid) full = { ...full, phone: phoneOfJid(await phoneOfLid(full.lid)) ?? null };
        emit({ ...update, author: full });
      })
      .catch((error: unknown) => onError?.(error));
  };

  ev.on('groups.upsert', (groups) => {
    for (const metadata of groups) {
      cache.store(metadata);
      publish({ id: metadata.id, action: 'create', participants: metadata.participants.map(eventMember), subject: metadata.subject }, author(metadata.author, metadata.authorPn));
    }
  });
  ev.on('groups.update', (updates) => {
    for (const update of updates) {
      if (!update.id) continue;
      // The participating list (GET /api/groups) arrives here as full metadata: news to the cache only.
      if (Array.isArray(update.participants)) {
        cache.store(update as GroupMetadata);
        continue;
      }
      cache.merge({ ...update, id: update.id });
      const change = settingsChange(update);
      if (change) publish({ id: update.id, ...change }, author(update.author, update.authorPn));
    }
  });
  ev.on('group-participants.update', (event) => {
    cache.learnPhones(event.participants);
    cache.invalidate(event.id);
    if (!ACTIONS.includes(event.action)) return;
    publish({ id: event.id, action: event.action as ParticipantAction, participants: event.participants.map(eventMember) }, author(event.author, event.authorPn));
  });
}

/** What a groups.update says that receivers care about; undefined for other news (invite link, modes). */
function settingsChange(update: Partial<GroupMetadata>): Partial<GroupUpdate> | undefined {
  const change: Partial<GroupUpdate> = {};
  if (typeof update.subject === 'string') change.subject = update.subject;
  if ('desc' in update) change.description = update.desc ?? '';
  if (typeof update.announce === 'boolean') change.announce = update.announce;
  if (typeof update.restrict === 'boolean') change.restrict = update.restrict;
  return Object.keys(change).length > 0 ? change : undefined;
}
