/**
 * Editing and deleting messages we sent. A change is a message of its own (WhatsApp's protocol
 * message with the target's key) and goes out through the DeliveryService like any send: its own
 * record and WhatsApp id, the server ack awaited, the outbox when it is on (FIFO, so a change
 * queued while disconnected goes out after everything accepted before it), pacing and
 * Idempotency-Key resumption. The change is linked to the target before anything is sent, and it
 * counts once WhatsApp's server acknowledged it.
 */
import type { ChangeKind } from '../domain/vocabulary.js';
import type { DeliveryService, SendAttempt, SendOutcome } from '../messaging/delivery-service.js';
import type { IncomingMessageRepository } from '../records/incoming-message-repository.js';
import { findRecord, type MessageRecord, type MessageRepository } from '../records/message-repository.js';
import type { OutgoingDelete, OutgoingEdit } from '../whatsapp/transport.js';
import { ChangeErrors, checkDeletable, checkEditable } from './change-rules.js';
import type { MessageChange, MessageChangeRepository } from './message-change-repository.js';

export interface ChangeOutcome {
  /** The record of the message changed. */
  target: MessageRecord;
  /** The change's own record and WhatsApp id, and how far it got. */
  change: SendOutcome;
}

/** What a record shows of the changes made to it (GET /api/messages/:id). */
export interface ChangesView {
  edited_at: string | null;
  edits: { text: string; at: string }[];
  deleted: boolean;
  deleted_at: string | null;
}

export class ChangeService {
  constructor(
    private readonly deps: {
      messages: MessageRepository;
      incoming: IncomingMessageRepository;
      changes: MessageChangeRepository;
      delivery: DeliveryService;
      now?: () => number;
    },
  ) {}

  private readonly inProgress = new Map<string, Promise<void>>();

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * The record `id` names: our record id or WhatsApp's message id (as GET /api/messages/:id).
   * A message someone sent us is known by its WhatsApp id but is not ours to change.
   */
  async locate(id: string): Promise<MessageRecord> {
    const { messages, incoming } = this.deps;
    const record = await findRecord(messages, id);
    if (record) return record;
    if (await incoming.get(id)) throw ChangeErrors.notOurs();
    throw ChangeErrors.messageNotFound();
  }

  async edit(id: string, text: string, attempt: SendAttempt = {}): Promise<ChangeOutcome> {
    this.deps.delivery.assertCanAccept();
    const target = await this.locate(id);
    return this.oneAtATime(target.id, async () => {
      const changes = await this.deps.changes.forTarget(target.id);
      const editable = checkEditable(target, changes.some(isLiveDelete), this.now());
      const content: OutgoingEdit | OutgoingDelete = {
        kind: 'edit',
        target: { id: target.waMessageId!, remoteJid: target.jid },
        text,
        ...(editable === 'text' ? {} : { captionOf: editable }),
      };
      return { target, change: await this.send(target, 'edit', text, content, attempt) };
    });
  }

  /** Deletes for everyone; a message already deleted (or whose delete is on its way) answers with that delete. */
  async remove(id: string, attempt: SendAttempt = {}): Promise<ChangeOutcome> {
    this.deps.delivery.assertCanAccept();
    const target = await this.locate(id);
    return this.oneAtATime(target.id, async () => {
      const earlier = (await this.deps.changes.forTarget(target.id)).find(isLiveDelete);
      // The retry of a request whose delete had an unknown outcome continues it (DeliveryService resumes).
      if (earlier && earlier.actionId !== attempt.resumeRecordId) return { target, change: asOutcome(earlier) };
      checkDeletable(target, this.now());
      const content: OutgoingEdit | OutgoingDelete = { kind: 'delete', target: { id: target.waMessageId!, remoteJid: target.jid } };
      return { target, change: await this.send(target, 'delete', null, content, attempt) };
    });
  }

  /**
   * Changes of one message are decided one at a time: two deletes at once would otherwise both see
   * no earlier delete and both go out, and an edit could pass the "not deleted" check while a
   * delete is on its way. Different messages do not wait for each other.
   */
  private async oneAtATime<T>(targetId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.inProgress.get(targetId) ?? Promise.resolve();
    const run = previous.then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.inProgress.set(targetId, settled);
    try {
      return await run;
    } finally {
      if (this.inProgress.get(targetId) === settled) this.inProgress.delete(targetId);
    }
  }

  /** The edits and the delete WhatsApp acknowledged for `recordId`. */
  async describe(recordId: string): Promise<ChangesView> {
    const applied = (await this.deps.changes.forTarget(recordId)).filter((c) => c.state === 'applied');
    const edits = applied.filter((c) => c.kind === 'edit').map((c) => ({ text: c.text ?? '', at: c.appliedAt ?? c.createdAt }));
    const deleted = applied.find((c) => c.kind === 'delete');
    return {
      edited_at: edits.at(-1)?.at ?? null,
      edits,
      deleted: deleted !== undefined,
      deleted_at: deleted ? (deleted.appliedAt ?? deleted.createdAt) : null,
    };
  }

  private send(
    target: MessageRecord,
    kind: ChangeKind,
    text: string | null,
    content: OutgoingEdit | OutgoingDelete,
    attempt: SendAttempt,
  ): Promise<SendOutcome> {
    const { changes, delivery } = this.deps;
    return delivery.send(
      { to: { kind: 'chat', jid: target.jid, phone: target.phone }, content },
      {
        resumeRecordId: attempt.resumeRecordId,
        // Linked before the send, so an ack can never arrive for a change nobody knows the target of.
        onRecord: async (actionId) => {
          await changes.add({ actionId, targetId: target.id, kind, text });
          await attempt.onRecord?.(actionId);
        },
      },
    );
  }
}

/** A delete that WhatsApp took or may still take (queued, or awaiting its ack). */
function isLiveDelete(change: MessageChange): boolean {
  return change.kind === 'delete' && change.state !== 'failed';
}

function asOutcome(change: MessageChange): SendOutcome {
  return { id: change.actionId, messageId: change.actionMessageId ?? '', status: change.state === 'applied' ? 'sent' : 'queued' };
}
