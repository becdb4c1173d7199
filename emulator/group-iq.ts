import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode } from '@whiskeysockets/baileys';
import type { Directory } from './directory.js';
import type { Groups, GroupState, ParticipantAction } from './groups.js';

const errorNode = (code: number, text: string): BinaryNode[] => [{ tag: 'error', attrs: { code: String(code), text } }];
const PARTICIPANT_ACTIONS = new Set<string>(['add', 'remove', 'promote', 'demote']);
const SETTINGS = new Set<string>(['announcement', 'not_announcement', 'locked', 'unlocked']);

function text(node: BinaryNode | undefined): string | undefined {
  const content = node?.content;
  if (typeof content === 'string') return content;
  return content instanceof Uint8Array ? Buffer.from(content).toString('utf8') : undefined;
}

/**
 * Answers the group queries (xmlns w:g2) Baileys 7 sends, as the account (the companion acts for
 * it): metadata (`query request=interactive`, counted), `participating`, `create`, participant
 * changes with a result per participant, `subject`, `description`, `invite` (get and revoke), group
 * settings and `leave`. Refusals come back as `<error code text>` as WhatsApp answers them.
 */
export function answerGroupIq(groups: Groups, directory: Directory, iq: BinaryNode): BinaryNode[] | undefined {
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined;
  if (!first) return errorNode(400, 'bad-request');
  const me = directory.account.phone;
  const phoneOf = (jid: string | undefined): string | undefined => (jid ? directory.resolve(jid)?.phone : undefined);

  if (iq.attrs.to === '@g.us' || iq.attrs.to === 'g.us') {
    switch (first.tag) {
      case 'participating':
        return [{ tag: 'groups', attrs: {}, content: groups.of(me).map((group) => groups.groupNode(group)) }];
      case 'create': {
        const participants = getBinaryNodeChildren(first, 'participant').flatMap((p) => phoneOf(p.attrs.jid) ?? []);
        const group = groups.create({ subject: first.attrs.subject ?? '', participants });
        return [groups.groupNode(group)];
      }
      case 'leave': {
        for (const node of getBinaryNodeChildren(first, 'group')) {
          const group = groups.get(node.attrs.id ?? '');
          if (group) groups.leave(group, me);
        }
        return [{ tag: 'leave', attrs: {}, content: getBinaryNodeChildren(first, 'group') }];
      }
      default:
        return errorNode(501, 'feature-not-implemented');
    }
  }

  const group = groups.get(iq.attrs.to ?? '');
  if (!group) return errorNode(404, 'item-not-found');
  if (first.tag === 'query') {
    groups.countMetadataQuery(group.jid);
    if (!group.participants.has(me)) return errorNode(403, 'forbidden');
    return [groups.groupNode(group)];
  }
  if (!group.participants.has(me)) return errorNode(403, 'forbidden');
  return changeGroup(groups, group, me, first, phoneOf, iq.attrs.type === 'set');
}

function changeGroup(
  groups: Groups,
  group: GroupState,
  me: string,
  change: BinaryNode,
  phoneOf: (jid: string | undefined) => string | undefined,
  revoke: boolean,
): BinaryNode[] | undefined {
  const admin = groups.isAdmin(group, me);
  if (PARTICIPANT_ACTIONS.has(change.tag)) {
    if (!admin) return errorNode(403, 'forbidden');
    const asked = getBinaryNodeChildren(change, 'participant').map((p) => ({ jid: p.attrs.jid ?? '', phone: phoneOf(p.attrs.jid) }));
    const results = groups.updateParticipants(
      group,
      me,
      asked.flatMap((a) => a.phone ?? []),
      change.tag as ParticipantAction,
    );
    const content: BinaryNode[] = asked.map(({ jid, phone }) => {
      const status = results.find((result) => result.phone === phone)?.status ?? '403';
      const attrs: Record<string, string> = status === '200' ? { jid } : { jid, error: status };
      return { tag: 'participant', attrs };
    });
    return [{ tag: change.tag, attrs: {}, content }];
  }
  if (SETTINGS.has(change.tag)) {
    if (!admin) return errorNode(403, 'forbidden');
    groups.setSetting(group, me, change.tag as 'announcement' | 'not_announcement' | 'locked' | 'unlocked');
    return undefined;
  }
  switch (change.tag) {
    case 'subject':
      if (group.restrict && !admin) return errorNode(403, 'forbidden');
      groups.setSubject(group, me, text(change) ?? '');
      return undefined;
    case 'description':
      if (group.restrict && !admin) return errorNode(403, 'forbidden');
      // `prev` names the description the edit is based on; an edit of a stale one is refused.
      if (change.attrs.prev !== group.description?.id) return errorNode(409, 'conflict');
      groups.setDescription(group, me, change.attrs.delete === 'true' ? undefined : text(getBinaryNodeChild(change, 'body')));
      return undefined;
    case 'invite':
      if (!admin) return errorNode(403, 'forbidden');
      return [{ tag: 'invite', attrs: { code: revoke ? groups.revokeInvite(group, me) : group.inviteCode } }];
    default:
      return errorNode(501, 'feature-not-implemented');
  }
}
