/**
 * Baileys' group shapes → the port's (group-port.ts). Members may be named by phone JID (with a
 * `lid`) in phone-addressed groups, or by LID (with `phoneNumber`) in LID groups; the port always
 * gives both where WhatsApp told them.
 */
import type { GroupMetadata, GroupParticipant } from '@whiskeysockets/baileys';
import type { GroupEventMember, GroupInfo, GroupMember, GroupSummary } from '../group-port.js';

/** `6281234567890:3@s.whatsapp.net` → `6281234567890`; undefined for LIDs and anything else. */
export function phoneOfJid(jid: string | null | undefined): string | undefined {
  const match = jid ? /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid) : null;
  return match?.[1];
}

const lidOf = (jid: string | null | undefined): string | undefined => (jid && jid.endsWith('@lid') ? jid.replace(/:\d+@/, '@') : undefined);

export function eventMember(p: Pick<GroupParticipant, 'id' | 'phoneNumber' | 'lid'>): GroupEventMember {
  return { phone: phoneOfJid(p.id) ?? phoneOfJid(p.phoneNumber) ?? null, lid: lidOf(p.id) ?? lidOf(p.lid) ?? null };
}

export function member(p: GroupParticipant): GroupMember {
  return { ...eventMember(p), admin: p.admin === 'admin' || p.admin === 'superadmin' ? p.admin : null };
}

/** The actor of a change: WhatsApp names them by LID or phone, sometimes both. */
export function author(jid: string | null | undefined, pnJid: string | null | undefined): GroupEventMember | null {
  const phone = phoneOfJid(jid) ?? phoneOfJid(pnJid) ?? null;
  const lid = lidOf(jid) ?? lidOf(pnJid) ?? null;
  return phone || lid ? { phone, lid } : null;
}

function owner(metadata: GroupMetadata): string | null {
  return phoneOfJid(metadata.ownerPn) ?? phoneOfJid(metadata.owner) ?? metadata.owner ?? null;
}

export function toSummary(metadata: GroupMetadata): GroupSummary {
  return {
    id: metadata.id,
    subject: metadata.subject,
    participants: metadata.size ?? metadata.participants.length,
    announce: metadata.announce ?? false,
    restrict: metadata.restrict ?? false,
    owner: owner(metadata),
  };
}

export function toInfo(metadata: GroupMetadata): GroupInfo {
  const { participants: _count, ...summary } = toSummary(metadata);
  return {
    ...summary,
    description: metadata.desc ?? null,
    createdAt: metadata.creation ? new Date(metadata.creation * 1000) : null,
    participants: metadata.participants.map(member),
  };
}
