/**
 * The groups port on Baileys' w:g2 queries. WhatsApp answers a refused query with an error node
 * that Baileys turns into a rejected promise (a Boom whose `data` is the code); those become the
 * API's errors here: 404 item-not-found → GROUP_NOT_FOUND; 403 forbidden → GROUP_NOT_FOUND when the
 * account is not in the group, GROUP_ADMIN_REQUIRED when it is; anything else → GROUP_REQUEST_REFUSED
 * with WhatsApp's code and text. No answer → GROUP_REQUEST_NO_ANSWER; no connection → BOT_NOT_CONNECTED.
 */
import type { WASocket } from '@whiskeysockets/baileys';
import { AppError, Errors } from '../../errors/app-error.js';
import type { GroupInfo, GroupJid, GroupUpdate, GroupSummary, ParticipantAction, ParticipantResult, WhatsAppGroups } from '../group-port.js';
import { watchGroupEvents } from './group-events.js';
import { GroupMetadataCache } from './group-metadata-cache.js';
import { phoneOfJid, toInfo, toSummary } from './group-mapping.js';

type Boomish = { message?: string; data?: unknown; output?: { statusCode?: number } };

/** Baileys' codes for a query that never got its answer: timed out (408), connection closed (428). */
const TIMED_OUT = 408;
const CONNECTION_CLOSED = 428;

const DEFAULT_METADATA_TTL_MS = 5 * 60_000;

const phoneJid = (digits: string) => `${digits}@s.whatsapp.net`;

/** WhatsApp's code from a rejected group query, or undefined when the failure is not WhatsApp's answer. */
function whatsappCode(error: unknown): { code: number; text: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const boom = error as Boomish;
  // Error nodes carry their code as `data` (assertNodeErrorFree) or as the status (extractGroupMetadata).
  const code = typeof boom.data === 'number' ? boom.data : boom.output?.statusCode;
  return code === undefined ? undefined : { code, text: boom.message ?? 'error' };
}

export class BaileysGroups implements WhatsAppGroups {
  /** Also the socket's `cachedGroupMetadata`, so group sends share it. */
  readonly metadata: GroupMetadataCache;

  constructor(
    private readonly socket: () => WASocket | undefined,
    metadataTtlMs = DEFAULT_METADATA_TTL_MS,
  ) {
    this.metadata = new GroupMetadataCache({
      ttlMs: metadataTtlMs,
      query: async (jid) => this.connected().groupMetadata(jid),
    });
  }

  /** A new socket: its group events keep the cache fresh and become 'group-update' events. */
  attach(socket: WASocket, emit: (update: GroupUpdate) => void, onError: (error: unknown) => void): void {
    // Changes made while no socket listened may never be announced: start afresh.
    this.metadata.clear();
    const phoneOfLid = (lid: string) => socket.signalRepository.lidMapping.getPNForLID(lid);
    watchGroupEvents(socket.ev, { cache: this.metadata, emit, phoneOfLid, onError });
  }

  async list(): Promise<GroupSummary[]> {
    const socket = this.connected();
    const all = await this.ask(() => socket.groupFetchAllParticipating());
    return Object.values(all).map(toSummary);
  }

  async info(id: GroupJid): Promise<GroupInfo> {
    return toInfo(await this.lookup(id));
  }

  async create(subject: string, phones: readonly string[]): Promise<GroupInfo> {
    const socket = this.connected();
    const metadata = await this.ask(() => socket.groupCreate(subject, phones.map(phoneJid)));
    this.metadata.store(metadata);
    return toInfo(metadata);
  }

  async updateParticipants(id: GroupJid, action: ParticipantAction, phones: readonly string[]): Promise<ParticipantResult[]> {
    const socket = this.connected();
    const jids = phones.map(phoneJid);
    const results = await this.change(id, () => socket.groupParticipantsUpdate(id, jids, action));
    this.metadata.invalidate(id);
    return results.map((result, index) => {
      // WhatsApp answers with the JIDs asked for, in order; a LID in the answer is matched by position.
      const asked = result.jid ? jids.indexOf(result.jid) : -1;
      const phone = phoneOfJid(result.jid) ?? phones[asked >= 0 ? asked : index] ?? result.jid ?? '';
      return { phone, status: Number(result.status) };
    });
  }

  async updateSubject(id: GroupJid, subject: string): Promise<void> {
    const socket = this.connected();
    await this.change(id, () => socket.groupUpdateSubject(id, subject));
    this.metadata.invalidate(id);
  }

  async updateDescription(id: GroupJid, description: string | null): Promise<void> {
    const socket = this.connected();
    await this.change(id, () => socket.groupUpdateDescription(id, description ?? undefined));
    this.metadata.invalidate(id);
  }

  async inviteCode(id: GroupJid): Promise<string> {
    const socket = this.connected();
    const code = await this.change(id, () => socket.groupInviteCode(id));
    if (!code) throw Errors.groupRequestRefused(500, 'the answer carried no invite code');
    return code;
  }

  async leave(id: GroupJid): Promise<void> {
    const socket = this.connected();
    // WhatsApp answers a leave of a group the account is not in without an error: ask first.
    await this.lookup(id);
    await this.change(id, () => socket.groupLeave(id));
    this.metadata.invalidate(id);
  }

  private connected(): WASocket {
    const socket = this.socket();
    if (!socket) throw Errors.notConnected();
    return socket;
  }

  /** Metadata through the cache; a group the account is not in (403) is not found, as an unknown one. */
  private async lookup(id: GroupJid): Promise<Awaited<ReturnType<GroupMetadataCache['lookup']>>> {
    this.connected();
    try {
      return await this.metadata.lookup(id);
    } catch (error) {
      throw whatsappCode(error)?.code === 403 ? Errors.groupNotFound() : groupErrorToAppError(error);
    }
  }

  /** A change to one group: a 403 means "not an admin" only when the account is in the group. */
  private async change<T>(id: GroupJid, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (whatsappCode(error)?.code !== 403) throw groupErrorToAppError(error);
      await this.lookup(id);
      throw Errors.groupAdminRequired();
    }
  }

  private async ask<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw groupErrorToAppError(error);
    }
  }
}

/**
 * A rejected group query (or a group send whose metadata lookup WhatsApp refused) as the API's
 * error; anything that is not WhatsApp's answer is returned as it is.
 */
export function groupErrorToAppError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const answer = whatsappCode(error);
  if (!answer) return error;
  if (answer.code === TIMED_OUT) return Errors.groupRequestNoAnswer('no answer in time');
  if (answer.code === CONNECTION_CLOSED) return Errors.notConnected();
  if (answer.code === 404) return Errors.groupNotFound();
  return Errors.groupRequestRefused(answer.code, answer.text);
}
