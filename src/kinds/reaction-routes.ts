/** POST /api/send-reaction: one emoji on a message in the chat (ours or theirs); "" takes it back. */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { failsWith } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { isSingleEmoji } from './emoji.js';
import { kindDoc } from './kind-doc.js';
import { kindRoute, recipientFields, type KindRouteDeps, type SendOptionsPolicy } from './kind-route.js';
import type { MessageTargets } from './message-target.js';

const MAX_ID_LENGTH = 128;
/**
 * A reaction is not a message that quotes or mentions: WhatsApp drops a contextInfo on it, so a
 * `reply_to` or `mentions` would be accepted and silently lost. They are refused instead.
 */
const REACTION_SEND_OPTIONS: SendOptionsPolicy = { refused: 'WhatsApp shows no quote or mention on a reaction' };

export function reactionFields(defaultCountryCode: string) {
  const idRequired = failsWith(() => Errors.messageIdRequired());
  return z.object({
    ...recipientFields(defaultCountryCode, REACTION_SEND_OPTIONS),
    message_id: z
      .string({ error: idRequired })
      .trim()
      .min(1, { error: idRequired })
      .max(MAX_ID_LENGTH, { error: failsWith(() => Errors.messageNotFound()) })
      .meta({
        description: "WhatsApp's id of the message reacted to: one sent to this chat (our record id works too) or one received in it",
        examples: ['3EB0B057F6CD72C5DB18EC'],
      }),
    emoji: z
      .string({ error: failsWith(() => Errors.invalidEmoji()) })
      .refine((emoji) => emoji === '' || isSingleEmoji(emoji), { error: failsWith(() => Errors.invalidEmoji()) })
      .meta({ description: 'Exactly one emoji (skin tones, flags and ZWJ sequences count as one); "" removes the reaction', examples: ['👍'] }),
  });
}

export function reactionRoutes(deps: KindRouteDeps & { targets: MessageTargets }): RouteSpec[] {
  const fields = reactionFields(deps.defaultCountryCode);
  const example = { phone: '6281234567890', message_id: '3EB0B057F6CD72C5DB18EC', emoji: '👍' };
  return [
    kindRoute(
      {
        path: '/api/send-reaction',
        description: 'React to a message with an emoji',
        successMessage: 'Reaction sent successfully',
        type: 'reaction',
        fields,
        sendOptions: REACTION_SEND_OPTIONS,
        fingerprint: (p) => ({ message_id: p.message_id, emoji: p.emoji }),
        content: async (p, chat) => ({ kind: 'reaction', emoji: p.emoji, target: await deps.targets.find(chat.jid, p.message_id) }),
        // `message_id` of the answer is the reaction's own id, as for every send.
        data: (p) => ({ target_message_id: p.message_id, emoji: p.emoji }),
        doc: () =>
          kindDoc({
            successMessage: 'Reaction sent successfully',
            type: 'reaction',
            fields,
            details:
              'Reacts to a message in the chat with this number (or LID) or in this group: one the gateway sent there or one received there ' +
              '(in a group, the reaction names the member who sent it). A new reaction replaces the earlier one; `"emoji": ""` removes it. ' +
              'An id the chat does not have is 404 MESSAGE_NOT_FOUND. `reply_to` and `mentions` are refused with 400 OPTION_NOT_SUPPORTED: ' +
              'WhatsApp shows no quote or mention on a reaction.',
            example,
            data: { target_message_id: z.string().meta({ description: 'The message reacted to' }), emoji: z.string() },
            exampleData: { target_message_id: example.message_id, emoji: example.emoji },
            errors: ['MESSAGE_ID_REQUIRED', 'INVALID_EMOJI', 'MESSAGE_NOT_FOUND', 'OPTION_NOT_SUPPORTED'],
          }),
      },
      deps,
    ),
  ];
}
