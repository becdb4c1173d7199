/** POST /api/send-poll: a question with 2 to 12 options, single or multiple choice. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { carry, failsWith } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import { kindDoc } from './kind-doc.js';
import { kindRoute, recipientFields, type KindRouteDeps } from './kind-route.js';
import type { PollStore } from './poll-store.js';

export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 12;
/** WhatsApp's own limits in its poll editor. */
export const MAX_QUESTION_LENGTH = 255;
export const MAX_OPTION_LENGTH = 100;

const OPTIONS_RULE = `options must be ${MIN_POLL_OPTIONS} to ${MAX_POLL_OPTIONS} distinct, non-empty texts of at most ${MAX_OPTION_LENGTH} characters`;

export function pollFields(defaultCountryCode: string) {
  const questionRequired = failsWith(() => Errors.questionRequired());
  const badOptions = failsWith(() => Errors.invalidPoll(OPTIONS_RULE));
  return z.object({
    ...recipientFields(defaultCountryCode),
    question: z
      .string({ error: questionRequired })
      .trim()
      .min(1, { error: questionRequired })
      .max(MAX_QUESTION_LENGTH, { error: failsWith(() => Errors.invalidPoll(`question too long (maximum ${MAX_QUESTION_LENGTH} characters)`)) })
      .meta({ description: `The question, at most ${MAX_QUESTION_LENGTH} characters`, examples: ['Makan siang di mana?'] }),
    options: z
      .array(z.string({ error: badOptions }).trim().min(1, { error: badOptions }).max(MAX_OPTION_LENGTH, { error: badOptions }), { error: badOptions })
      .min(MIN_POLL_OPTIONS, { error: badOptions })
      .max(MAX_POLL_OPTIONS, { error: badOptions })
      .meta({
        description: `${MIN_POLL_OPTIONS} to ${MAX_POLL_OPTIONS} distinct answers, each at most ${MAX_OPTION_LENGTH} characters`,
        examples: [['Padang', 'Sunda', 'Jawa']],
      })
      .superRefine((options, ctx) => {
        // Votes name options by a hash of their text: two equal options could not be told apart.
        if (new Set(options).size !== options.length)
          ctx.addIssue({ code: 'custom', message: carry(Errors.invalidPoll(`${OPTIONS_RULE} (an option is repeated)`)) });
      }),
    multiple_answers: z
      .union([z.boolean(), z.enum(['true', 'false'])], { error: failsWith(() => Errors.invalidParameter('multiple_answers', 'true or false')) })
      .optional()
      .transform((value) => value === true || value === 'true')
      .meta({ description: 'Whether a voter may choose more than one option (default false)', examples: [false] }),
  });
}

export function pollRoutes(deps: KindRouteDeps & { polls: PollStore }): RouteSpec[] {
  const fields = pollFields(deps.defaultCountryCode);
  const example = { phone: '6281234567890', question: 'Makan siang di mana?', options: ['Padang', 'Sunda', 'Jawa'], multiple_answers: false };
  const { phone: _phone, ...exampleData } = example;
  return [
    kindRoute(
      {
        path: '/api/send-poll',
        description: 'Send poll',
        successMessage: 'Poll sent successfully',
        type: 'poll',
        fields,
        sendOptions: 'accepted',
        fingerprint: (p) => ({ question: p.question, options: p.options, multiple_answers: p.multiple_answers }),
        content: async (p, _to, resumeRecordId) => ({
          kind: 'poll',
          question: p.question,
          options: p.options,
          selectableCount: p.multiple_answers ? 0 : 1,
          // A retry that continues an earlier record resends the poll with the secret kept for it.
          messageSecret: (resumeRecordId ? (await deps.polls.get(resumeRecordId))?.messageSecret : undefined) ?? new Uint8Array(randomBytes(32)),
        }),
        onRecord: async (recordId, content) => {
          if (content.kind !== 'poll') return;
          await deps.polls.save({
            recordId,
            question: content.question,
            options: content.options,
            selectableCount: content.selectableCount,
            messageSecret: content.messageSecret,
          });
        },
        data: (p) => ({ question: p.question, options: p.options, multiple_answers: p.multiple_answers }),
        doc: () =>
          kindDoc({
            successMessage: 'Poll sent successfully',
            type: 'poll',
            fields,
            jsonOnly: true,
            details:
              "Votes arrive decrypted as `poll.vote` webhooks, and GET /api/messages/{id} of the poll shows the tally (each voter's latest vote counts, as in WhatsApp).",
            example,
            data: { question: z.string(), options: z.array(z.string()), multiple_answers: z.boolean() },
            exampleData,
            errors: ['QUESTION_REQUIRED', 'INVALID_POLL', 'INVALID_PARAMETER'],
          }),
      },
      deps,
    ),
  ];
}
