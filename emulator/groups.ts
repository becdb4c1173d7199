import { randomBytes, randomInt } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type Directory, type Person } from './directory.js';

export type GroupAdmin = 'admin' | 'superadmin' | null;
export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

/** One group as the server keeps it. Participants are keyed by phone number. */
export interface GroupState {
  /** '120363…@g.us' */
  jid: string;
  subject: string;
  subjectOwner: string;
  subjectTime: number;
  description?: { text: string; id: string; owner: string; time: number };
  owner: string;
  creation: number;
  participants: Map<string, GroupAdmin>;
  /** Only admins may send (WhatsApp's "announcement"). */
  announce: boolean;
  /** Only admins may edit the group info (WhatsApp's "locked"). */
  restrict: boolean;
  inviteCode: string;
  /** How the group addresses participants on the wire: LID (what WhatsApp does for most groups today) or phone. */
  addressingMode: 'lid' | 'pn';
}

/** A test-facing snapshot of a group. */
export interface GroupInfo {
  jid: string;
  subject: string;
  description?: string;
  owner: string;
  creation: number;
  participants: { phone: string; admin: GroupAdmin }[];
  announce: boolean;
  restrict: boolean;
  inviteCode: string;
  addressingMode: 'lid' | 'pn';
}

export interface NewGroup {
  subject: string;
  /** Phone numbers of the members besides the creator. */
  participants: string[];
  /** The creator's phone; the account by default. */
  owner?: string;
  description?: string;
  addressingMode?: 'lid' | 'pn';
  announce?: boolean;
  restrict?: boolean;
}

/** Per-participant outcome of add/remove/promote/demote, as WhatsApp answers: '200' or an error code. */
export interface ParticipantResult {
  phone: string;
  status: '200' | '403' | '404' | '409';
}

const unixNow = (): number => Math.floor(Date.now() / 1000);
const newInviteCode = (): string => randomBytes(16).toString('base64url').slice(0, 22);

/**
 * The server's groups: their state, the rules for changing them (admins only where WhatsApp says
 * so) and the `<group>` node that metadata queries and notifications carry. Every change is
 * reported to `onChange` with the w:gp2 child node WhatsApp sends to the members' devices.
 */
export class Groups {
  private readonly groups = new Map<string, GroupState>();
  private readonly metadataQueries = new Map<string, number>();

  constructor(
    private readonly directory: Directory,
    private readonly onChange: (group: GroupState, actor: Person, change: BinaryNode, alsoTo?: string[]) => void,
  ) {}

  create(spec: NewGroup): GroupState {
    const owner = spec.owner ?? this.directory.account.phone;
    const now = unixNow();
    const jid = `120363${String(randomInt(0, 1e12)).padStart(12, '0')}@g.us`;
    const participants = new Map<string, GroupAdmin>([[owner, 'superadmin']]);
    for (const phone of spec.participants) if (this.directory.byPhoneNumber(phone) && !participants.has(phone)) participants.set(phone, null);
    const group: GroupState = {
      jid,
      subject: spec.subject,
      subjectOwner: owner,
      subjectTime: now,
      owner,
      creation: now,
      participants,
      announce: spec.announce ?? false,
      restrict: spec.restrict ?? false,
      inviteCode: newInviteCode(),
      addressingMode: spec.addressingMode ?? 'lid',
    };
    if (spec.description) group.description = { text: spec.description, id: randomBytes(8).toString('hex').toUpperCase(), owner, time: now };
    this.groups.set(jid, group);
    this.onChange(group, this.person(owner), { tag: 'create', attrs: {}, content: [this.groupNode(group)] });
    return group;
  }

  get(jid: string): GroupState | undefined {
    return this.groups.get(jid);
  }

  list(): GroupState[] {
    return [...this.groups.values()];
  }

  /** Groups a person belongs to. */
  of(phone: string): GroupState[] {
    return this.list().filter((group) => group.participants.has(phone));
  }

  info(group: GroupState): GroupInfo {
    return {
      jid: group.jid,
      subject: group.subject,
      description: group.description?.text,
      owner: group.owner,
      creation: group.creation,
      participants: [...group.participants].map(([phone, admin]) => ({ phone, admin })),
      announce: group.announce,
      restrict: group.restrict,
      inviteCode: group.inviteCode,
      addressingMode: group.addressingMode,
    };
  }

  countMetadataQuery(jid: string): void {
    this.metadataQueries.set(jid, (this.metadataQueries.get(jid) ?? 0) + 1);
  }

  metadataQueryCount(jid?: string): number {
    if (jid) return this.metadataQueries.get(jid) ?? 0;
    return [...this.metadataQueries.values()].reduce((sum, n) => sum + n, 0);
  }

  isAdmin(group: GroupState, phone: string): boolean {
    return !!group.participants.get(phone);
  }

  updateParticipants(group: GroupState, actorPhone: string, phones: string[], action: ParticipantAction): ParticipantResult[] {
    const results: ParticipantResult[] = [];
    const changed: string[] = [];
    for (const phone of phones) {
      const member = group.participants.has(phone);
      let status: ParticipantResult['status'] = '200';
      if (action === 'add') {
        if (!this.directory.byPhoneNumber(phone)) status = '403';
        else if (member) status = '409';
        else group.participants.set(phone, null);
      } else if (!member) {
        status = '404';
      } else if (action === 'remove') {
        group.participants.delete(phone);
      } else {
        group.participants.set(phone, action === 'promote' ? 'admin' : null);
      }
      results.push({ phone, status });
      if (status === '200') changed.push(phone);
    }
    if (changed.length) {
      const change: BinaryNode = { tag: action, attrs: {}, content: changed.map((phone) => this.participantNode(group, phone, false)) };
      // Removed members learn that they were removed, although they are no longer listed.
      this.onChange(group, this.person(actorPhone), change, action === 'remove' ? changed : undefined);
    }
    return results;
  }

  setSubject(group: GroupState, actorPhone: string, subject: string): void {
    group.subject = subject;
    group.subjectOwner = actorPhone;
    group.subjectTime = unixNow();
    const actor = this.person(actorPhone);
    this.onChange(group, actor, { tag: 'subject', attrs: { subject, s_o: this.memberJid(group, actor), s_t: String(group.subjectTime) } });
  }

  setDescription(group: GroupState, actorPhone: string, text: string | undefined): void {
    const id = randomBytes(8).toString('hex').toUpperCase();
    group.description = text ? { text, id, owner: actorPhone, time: unixNow() } : undefined;
    const content: BinaryNode[] | undefined = text ? [{ tag: 'body', attrs: {}, content: Buffer.from(text) }] : undefined;
    this.onChange(group, this.person(actorPhone), { tag: 'description', attrs: text ? { id } : { id, delete: 'true' }, content });
  }

  setSetting(group: GroupState, actorPhone: string, setting: 'announcement' | 'not_announcement' | 'locked' | 'unlocked'): void {
    if (setting === 'announcement' || setting === 'not_announcement') group.announce = setting === 'announcement';
    else group.restrict = setting === 'locked';
    this.onChange(group, this.person(actorPhone), { tag: setting, attrs: {} });
  }

  revokeInvite(group: GroupState, actorPhone: string): string {
    group.inviteCode = newInviteCode();
    this.onChange(group, this.person(actorPhone), { tag: 'invite', attrs: { code: group.inviteCode } });
    return group.inviteCode;
  }

  /** A member leaves: WhatsApp tells the others (and the leaver's devices) "remove" with the leaver as actor. */
  leave(group: GroupState, phone: string): boolean {
    if (!group.participants.has(phone)) return false;
    group.participants.delete(phone);
    const change: BinaryNode = { tag: 'remove', attrs: {}, content: [this.participantNode(group, phone, false)] };
    this.onChange(group, this.person(phone), change, [phone]);
    return true;
  }

  /** The `<group>` node of metadata answers and create notifications. */
  groupNode(group: GroupState): BinaryNode {
    const content: BinaryNode[] = [];
    if (group.description) {
      const { text, id, owner, time } = group.description;
      content.push({
        tag: 'description',
        attrs: { id, participant: this.memberJid(group, this.person(owner)), t: String(time) },
        content: [{ tag: 'body', attrs: {}, content: Buffer.from(text) }],
      });
    }
    for (const phone of group.participants.keys()) content.push(this.participantNode(group, phone, true));
    if (group.announce) content.push({ tag: 'announcement', attrs: {} });
    if (group.restrict) content.push({ tag: 'locked', attrs: {} });
    const owner = this.person(group.owner);
    const subjectOwner = this.person(group.subjectOwner);
    return {
      tag: 'group',
      attrs: {
        id: group.jid.split('@')[0]!,
        subject: group.subject,
        s_t: String(group.subjectTime),
        s_o: this.memberJid(group, subjectOwner),
        creation: String(group.creation),
        creator: this.memberJid(group, owner),
        ...(group.addressingMode === 'lid' ? { creator_pn: pnJid(owner.phone), s_o_pn: pnJid(subjectOwner.phone) } : {}),
        size: String(group.participants.size),
        addressing_mode: group.addressingMode,
      },
      content,
    };
  }

  /** How the group names a person on the wire: their LID in LID groups, their phone JID otherwise. */
  memberJid(group: GroupState, person: Person): string {
    return group.addressingMode === 'lid' ? lidJid(person.lid) : pnJid(person.phone);
  }

  person(phone: string): Person {
    const person = this.directory.byPhoneNumber(phone);
    if (!person) throw new Error(`${phone} is not on WhatsApp`);
    return person;
  }

  /** A participant as WhatsApp lists it, with the other address as a hint (phone_number for LIDs, lid for phones). */
  private participantNode(group: GroupState, phone: string, withAdmin: boolean): BinaryNode {
    const person = this.person(phone);
    const attrs: Record<string, string> = { jid: this.memberJid(group, person) };
    if (group.addressingMode === 'lid') attrs.phone_number = pnJid(person.phone);
    else attrs.lid = lidJid(person.lid);
    const admin = group.participants.get(phone);
    if (withAdmin && admin) attrs.type = admin;
    return { tag: 'participant', attrs, content: undefined };
  }
}
