/**
 * The groups port for component tests: groups in memory with WhatsApp's rules as the emulator
 * plays them (members, admins, restrict), answering with the same AppErrors the Baileys adapter
 * maps WhatsApp's errors to. `failNext` makes the next call fail (e.g. WhatsApp not answering).
 */
import { Errors } from '../../src/errors/app-error.js';
import type { GroupAdminRole, GroupInfo, GroupSummary, ParticipantAction, ParticipantResult, WhatsAppGroups } from '../../src/whatsapp/group-port.js';

export const FAKE_ACCOUNT_PHONE = '6281111111111';

interface FakeGroup {
  id: string;
  subject: string;
  description: string | null;
  owner: string;
  createdAt: Date;
  announce: boolean;
  restrict: boolean;
  inviteCode: string;
  members: Map<string, GroupAdminRole | null>;
}

export class FakeGroups implements WhatsAppGroups {
  readonly groups = new Map<string, FakeGroup>();
  /** Numbers "not on WhatsApp": adding one answers 403 for it. */
  readonly notOnWhatsApp = new Set<string>(['6280000000000']);
  failNext?: Error;
  private counter = 0;

  /** A group someone else made (the account a plain member unless `admin`). */
  seed(spec: { subject: string; members: string[]; owner?: string; restrict?: boolean; accountAdmin?: boolean }): string {
    const owner = spec.owner ?? FAKE_ACCOUNT_PHONE;
    const group = this.make(spec.subject, owner, spec.members);
    group.restrict = spec.restrict ?? false;
    if (spec.accountAdmin && group.members.has(FAKE_ACCOUNT_PHONE)) group.members.set(FAKE_ACCOUNT_PHONE, 'admin');
    return group.id;
  }

  async list(): Promise<GroupSummary[]> {
    this.gate();
    return [...this.groups.values()]
      .filter((g) => g.members.has(FAKE_ACCOUNT_PHONE))
      .map((g) => {
        const { participants, ...info } = this.describe(g);
        return { ...info, participants: participants.length, announce: g.announce, restrict: g.restrict };
      });
  }

  async info(id: string): Promise<GroupInfo> {
    return this.describe(this.mine(id));
  }

  async create(subject: string, phones: readonly string[]): Promise<GroupInfo> {
    this.gate();
    return this.describe(
      this.make(
        subject,
        FAKE_ACCOUNT_PHONE,
        phones.filter((p) => !this.notOnWhatsApp.has(p)),
      ),
    );
  }

  async updateParticipants(id: string, action: ParticipantAction, phones: readonly string[]): Promise<ParticipantResult[]> {
    const group = this.adminOf(id);
    return phones.map((phone) => {
      const present = group.members.has(phone);
      if (action === 'add') {
        if (this.notOnWhatsApp.has(phone)) return { phone, status: 403 };
        if (present) return { phone, status: 409 };
        group.members.set(phone, null);
        return { phone, status: 200 };
      }
      if (!present) return { phone, status: 404 };
      if (action === 'remove') group.members.delete(phone);
      else group.members.set(phone, action === 'promote' ? 'admin' : null);
      return { phone, status: 200 };
    });
  }

  async updateSubject(id: string, subject: string): Promise<void> {
    this.editable(id).subject = subject;
  }

  async updateDescription(id: string, description: string | null): Promise<void> {
    this.editable(id).description = description;
  }

  async inviteCode(id: string): Promise<string> {
    return this.adminOf(id).inviteCode;
  }

  async leave(id: string): Promise<void> {
    this.mine(id).members.delete(FAKE_ACCOUNT_PHONE);
  }

  private make(subject: string, owner: string, phones: readonly string[]): FakeGroup {
    this.counter += 1;
    const id = `1203630000000000${String(this.counter).padStart(2, '0')}@g.us`;
    const members = new Map<string, GroupAdminRole | null>([[owner, 'superadmin']]);
    for (const phone of phones) if (!members.has(phone)) members.set(phone, null);
    const group: FakeGroup = {
      id,
      subject,
      description: null,
      owner,
      createdAt: new Date(),
      announce: false,
      restrict: false,
      inviteCode: `FakeInvite${this.counter}`,
      members,
    };
    this.groups.set(id, group);
    return group;
  }

  private describe(g: FakeGroup): GroupInfo {
    return {
      id: g.id,
      subject: g.subject,
      description: g.description,
      owner: g.owner,
      createdAt: g.createdAt,
      announce: g.announce,
      restrict: g.restrict,
      participants: [...g.members].map(([phone, admin]) => ({ phone, lid: null, admin })),
    };
  }

  private gate(): void {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  private mine(id: string): FakeGroup {
    this.gate();
    const group = this.groups.get(id);
    if (!group || !group.members.has(FAKE_ACCOUNT_PHONE)) throw Errors.groupNotFound();
    return group;
  }

  private adminOf(id: string): FakeGroup {
    const group = this.mine(id);
    if (!group.members.get(FAKE_ACCOUNT_PHONE)) throw Errors.groupAdminRequired();
    return group;
  }

  private editable(id: string): FakeGroup {
    const group = this.mine(id);
    if (group.restrict && !group.members.get(FAKE_ACCOUNT_PHONE)) throw Errors.groupAdminRequired();
    return group;
  }
}
