/**
 * Baileys' group events (from WhatsApp's w:gp2 notifications) → the metadata cache and the port's
 * 'group-update' event. Member changes drop the cached entry (the next send or lookup asks
 * WhatsApp once: a send must reach the new member list); subject, description and settings are
 * applied to it in place; a new group's full metadata is stored.
 *
 * Subject, description and settings are read from the notification's stub message, not from
 * `groups.update`: rc14's event buffer keeps only the first `groups.update` of a group per flush,
 * so a second change made in quick succession never arrives there. The actor of a change comes as
 * a LID in LID groups (rc14 also drops the `participant_pn` WhatsApp sends with it), so the phone
 * is looked up in what group metadata told, then in Baileys' LID mapping store.
 */
import { WAMessageStubType, type BaileysEventMap, type GroupMetadata, type WAMessage } from '@whiskeysockets/baileys';
import type { GroupEventMember, GroupUpdate, ParticipantAction } from '../group-port.js';
import type { GroupMetadataCache } from './group-metadata-cache.js';
import { author, eventMember, phoneOfJid } from './group-mapping.js';

type GroupEvents = Pick<BaileysEventMap, 'groups.upsert' | 'groups.update' | 'group-participants.update' | 'messages.upsert'>;
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
      publish(
        { id: metadata.id, action: 'create', participants: metadata.participants.map(eventMember), subject: metadata.subject },
        author(metadata.author, metadata.authorPn),
      );
    }
  });
  ev.on('groups.update', (updates) => {
    // The participating list (GET /api/groups) arrives here as full metadata; partial updates are
    // read from their stub messages below.
    for (const update of updates) if (update.id && Array.isArray(update.participants)) cache.store(update as GroupMetadata);
  });
  ev.on('messages.upsert', ({ messages }) => {
    for (const message of messages) {
      const id = message.key.remoteJid;
      const change = id?.endsWith('@g.us') ? settingsChange(message) : undefined;
      if (!id || !change) continue;
      cache.merge({ id, ...asMetadata(change) });
      publish({ id, ...change }, author(message.key.participant ?? message.participant, undefined));
    }
  });
  ev.on('group-participants.update', (event) => {
    cache.learnPhones(event.participants);
    cache.invalidate(event.id);
    if (!ACTIONS.includes(event.action)) return;
    publish(
      { id: event.id, action: event.action as ParticipantAction, participants: event.participants.map(eventMember) },
      author(event.author, event.authorPn),
    );
  });
}

function asMetadata(change: Partial<GroupUpdate>): Partial<GroupMetadata> {
  const metadata: Partial<GroupMetadata> = {};
  if (change.subject !== undefined) metadata.subject = change.subject;
  // Present but undefined: the description was removed.
  if (change.description !== undefined) metadata.desc = change.description || undefined;
  if (change.announce !== undefined) metadata.announce = change.announce;
  if (change.restrict !== undefined) metadata.restrict = change.restrict;
  return metadata;
}

/** The change a group notification's stub message stands for; undefined for other news (invite link, modes). */
function settingsChange(message: WAMessage): Partial<GroupUpdate> | undefined {
  const [first] = message.messageStubParameters ?? [];
  const on = first === 'on' || first === 'true';
  switch (message.messageStubType) {
    case WAMessageStubType.GROUP_CHANGE_SUBJECT:
      return { subject: first ?? '' };
    case WAMessageStubType.GROUP_CHANGE_DESCRIPTION:
      return { description: first ?? '' };
    case WAMessageStubType.GROUP_CHANGE_ANNOUNCE:
      return { announce: on };
    case WAMessageStubType.GROUP_CHANGE_RESTRICT:
      return { restrict: on };
    default:
      return undefined;
  }
}
