/**
 * The groups part of the WhatsApp port (`transport.groups`): what the group routes ask of
 * WhatsApp, in the gateway's words. The Baileys adapter (baileys/baileys-groups.ts) and the
 * component tests' fake implement it. Failures are AppErrors already: GROUP_NOT_FOUND for a group
 * the account is not in, GROUP_ADMIN_REQUIRED, GROUP_REQUEST_REFUSED / _NO_ANSWER, BOT_NOT_CONNECTED.
 */

/** A group JID as WhatsApp gives it: `120363012345678901@g.us`. */
export type GroupJid = string;

export type GroupAdminRole = 'admin' | 'superadmin';

export interface GroupMember {
  /** Phone digits, when WhatsApp revealed the number. */
  phone: string | null;
  /** The member's LID JID (`123456789012345@lid`), when WhatsApp gave it. */
  lid: string | null;
  admin: GroupAdminRole | null;
}

export interface GroupSummary {
  id: GroupJid;
  subject: string;
  /** How many members. */
  participants: number;
  /** Only admins may write. */
  announce: boolean;
  /** Only admins may change the subject, description and settings. */
  restrict: boolean;
  /** The creator: phone digits when known, else the JID WhatsApp named them by (a LID); null when unknown. */
  owner: string | null;
}

export interface GroupInfo extends Omit<GroupSummary, 'participants'> {
  description: string | null;
  /** When the group was created (WhatsApp's timestamp), null when unknown. */
  createdAt: Date | null;
  participants: GroupMember[];
}

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

export interface ParticipantResult {
  phone: string;
  /**
   * WhatsApp's code for this participant: 200 done, 403 not on WhatsApp (or not allowed),
   * 404 not a member, 409 already a member; others as WhatsApp sends them.
   */
  status: number;
}

export interface WhatsAppGroups {
  /** The groups the account is in. */
  list(): Promise<GroupSummary[]>;
  /** One group's metadata (from the metadata cache while it is fresh). */
  info(id: GroupJid): Promise<GroupInfo>;
  /** Creates a group with the account as superadmin; `phones` are digits. */
  create(subject: string, phones: readonly string[]): Promise<GroupInfo>;
  updateParticipants(id: GroupJid, action: ParticipantAction, phones: readonly string[]): Promise<ParticipantResult[]>;
  updateSubject(id: GroupJid, subject: string): Promise<void>;
  /** `null` removes the description. */
  updateDescription(id: GroupJid, description: string | null): Promise<void>;
  inviteCode(id: GroupJid): Promise<string>;
  leave(id: GroupJid): Promise<void>;
}

/** A member named in a group event. */
export interface GroupEventMember {
  phone: string | null;
  lid: string | null;
}

/** A change to a group the account is in, whoever made it (the 'group-update' transport event). */
export interface GroupUpdate {
  id: GroupJid;
  /** Who made the change, when WhatsApp said. */
  author: GroupEventMember | null;
  /** A change of members (`create`: the account was put in a new group). */
  action?: ParticipantAction | 'create';
  participants?: GroupEventMember[];
  subject?: string;
  /** The new description; '' when it was removed. */
  description?: string;
  announce?: boolean;
  restrict?: boolean;
}
