/**
 * What a socket's message events mean to the port: receipts of our own messages become
 * 'message-status', votes in our polls 'poll-vote', everything contacts send 'incoming-message'
 * (or 'incoming-change' for their edits and deletes), and messages that could not be decrypted
 * 'undecryptable-message'.
 */
import type { EventEmitter } from 'node:events';
import { proto, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { DeliveryStatus } from '../../domain/vocabulary.js';
import type { SentPollLookup } from '../kinds.js';
import type { TransportEventMap } from '../transport.js';
import { toReceivedEvent } from './message-mapping.js';
import { isPollVote, reportPollVote } from './poll-votes.js';
import { UndecryptableLog } from './undecryptable-log.js';

// `sent` and `failed` come from WhatsApp's server ack itself (ServerAckTracker), not from here:
// Baileys' ERROR status carries no code, and nothing in rc14 reports a positive server ack.
const STATUS_BY_CODE: Record<number, DeliveryStatus> = {
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  [proto.WebMessageInfo.Status.PLAYED]: 'played',
};

export function reportMessageEvents(socket: WASocket, deps: { events: EventEmitter<TransportEventMap>; polls?: SentPollLookup; logger: Logger }): void {
  const { events } = deps;
  /** Reports a status of one of our own messages; anything else (and unknown codes) is ignored. */
  const emitStatus = (key: WAMessage['key'], code: number | null | undefined): void => {
    const status = typeof code === 'number' ? STATUS_BY_CODE[code] : undefined;
    if (!status || !key.id || !key.fromMe) return;
    events.emit('message-status', { messageId: key.id, jid: key.remoteJid ?? '', status });
  };
  socket.ev.on('messages.update', (updates) => {
    for (const { key, update } of updates) emitStatus(key, update.status);
  });
  const undecryptable = new UndecryptableLog(deps.logger);
  socket.ev.on('messages.upsert', ({ messages, type }) => {
    for (const message of messages) {
      if (message.messageStubType !== proto.WebMessageInfo.StubType.CIPHERTEXT || message.key.fromMe) continue;
      // Baileys has already asked the sender to resend it (a retry receipt, bounded per message).
      const failure = { id: message.key.id ?? '', from: message.key.remoteJid ?? '', reason: message.messageStubParameters?.[0] ?? 'unknown' };
      undecryptable.record(failure);
      events.emit('undecryptable-message', failure);
    }
    // Baileys buffers the upsert of a message we sent; a receipt that arrives before the flush is
    // merged into that upsert (status on the message, type 'append') and no messages.update
    // follows. Without this, a fast phone's "delivered" was never recorded.
    for (const message of messages) if (message.key.fromMe) emitStatus(message.key, message.status);
    if (type !== 'notify') return;
    for (const message of messages) {
      // A vote is no message of its own: it reaches receivers as poll.vote.
      if (isPollVote(message)) {
        reportPollVote(message, socket.user, deps.polls, (vote) => events.emit('poll-vote', vote), deps.logger);
        continue;
      }
      const received = toReceivedEvent(message);
      if (received && 'message' in received) events.emit('incoming-message', received.message);
      else if (received) events.emit('incoming-change', received.change);
    }
  });
}
