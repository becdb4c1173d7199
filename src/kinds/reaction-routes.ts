/** POST /api/send-reaction: one emoji on a message in the chat (ours or theirs); "" takes it back. */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { failsWith } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { isSingleEmoji } from './emoji.js';
import { kindDoc } from './kind-doc.js';
import { kindRoute, recipientFields, type KindRouteDeps } from './kind-route.js';
import type { MessageTargets } from './message-target.js';

const MAX_ID_LENGTH = 128;

export function reactionFields(defaultCountryCode: string) {
  const idRequired = failsWith(() => Errors.messageIdRequired());
  return z.object({
    ...recipientFields(defaultCountryCode),
    message_id: z
      .string({ error: idRequired })
      .trim()
      .min(1, { error: idRequired })
      .max(MAX_ID_LENGTH, { error: failsWith(() => Errors.messageNotFound()) })
      .meta({
        description: "WhatsApp's id of the message reacted to: one sent to this chat (our record id works too) or one received from it",
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
        fingerprint: (p) => ({ message_id: p.message_id, emoji: p.emoji }),
        content: async (p, to) => ({ kind: 'reaction', emoji: p.emoji, target: await deps.targets.find(to.jid, p.message_id) }),
        // `message_id` of the answer is the reaction's own id, as for every send.
        data: (p) => ({ target_message_id: p.message_id, emoji: p.emoji }),
        doc: kindDoc({
          successMessage: 'Reaction sent successfully',
          type: 'reaction',
          fields,
          details:
            'Reacts to a message in the chat with this number: one the gateway sent there or one received from it. A new reaction replaces ' +
            'the earlier one; `"emoji": ""` removes it. An id the chat does not have is 404 MESSAGE_NOT_FOUND.',
          example,
          data: { target_message_id: z.string().meta({ description: 'The message reacted to' }), emoji: z.string() },
          exampleData: { target_message_id: example.message_id, emoji: example.emoji },
          errors: ['MESSAGE_ID_REQUIRED', 'INVALID_EMOJI', 'MESSAGE_NOT_FOUND'],
        }),
      },
      deps,
    ),
  ];
}
