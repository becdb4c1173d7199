/**
 * Baileys' group events (from WhatsApp's w:gp2 notifications) → the metadata cache and the port's
 * 'group-update' event. Member changes drop the cached entry (the next send or lookup asks
 * WhatsApp once: a send must reach the new member list); subject, description and settings are
 * applied to it in place; a new group's full metadata is stored.
 */
import type { BaileysEventMap, GroupMetadata } from '@whiskeysockets/baileys';
import type { GroupUpdate, ParticipantAction } from '../group-port.js';
import type { GroupMetadataCache } from './group-metadata-cache.js';
import { author, eventMember } from './group-mapping.js';

type GroupEvents = Pick<BaileysEventMap, 'groups.upsert' | 'groups.update' | 'group-participants.update'>;
interface EventSource {
  on<T extends keyof GroupEvents>(event: T, listener: (arg: GroupEvents[T]) => void): void;
}

const ACTIONS: readonly string[] = ['add', 'remove', 'promote', 'demote'] satisfies ParticipantAction[];

export function watchGroupEvents(ev: EventSource, cache: GroupMetadataCache, emit: (update: GroupUpdate) => void): void {
  ev.on('groups.upsert', (groups) => {
    for (const metadata of groups) {
      cache.store(metadata);
      emit({
        id: metadata.id,
        author: author(metadata.author, metadata.authorPn),
        action: 'create',
        participants: metadata.participants.map(eventMember),
        subject: metadata.subject,
      });
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
      if (change) emit({ id: update.id, author: author(update.author, update.authorPn), ...change });
    }
  });
  ev.on('group-participants.update', (event) => {
    cache.invalidate(event.id);
    if (!ACTIONS.includes(event.action)) return;
    emit({
      id: event.id,
      author: author(event.author, event.authorPn),
      action: event.action as ParticipantAction,
      participants: event.participants.map(eventMember),
    });
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
