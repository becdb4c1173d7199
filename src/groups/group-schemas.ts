/**
 * What the group routes accept and answer, as zod schemas: the handlers validate with the request
 * schemas, and the OpenAPI document is built from all of them (src/openapi/route-doc.ts).
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { phoneField } from '../http/phone-field.js';
import { failsWith } from '../http/request-validation.js';
import { builtOnFirstUse } from '../openapi/route-doc.js';
import { GROUP_ID_EXAMPLE } from './group-id.js';

/** WhatsApp's limits: a subject of 100 characters, a description of 2048, 1024 members. */
export const MAX_SUBJECT_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 2048;
export const MAX_PARTICIPANTS = 1024;

const subjectRequired = failsWith(() => Errors.subjectRequired());

const subjectField = z
  .string({ error: subjectRequired })
  .trim()
  .min(1, { error: subjectRequired })
  .max(MAX_SUBJECT_LENGTH, { error: failsWith(() => Errors.invalidParameter('subject', `at most ${MAX_SUBJECT_LENGTH} characters`)) })
  .meta({ description: `The group's name (1 to ${MAX_SUBJECT_LENGTH} characters)`, examples: ['Arisan RT 05'] });

const descriptionField = z
  .string({ error: failsWith(() => Errors.invalidParameter('description', 'a string, or null to remove it')) })
  .max(MAX_DESCRIPTION_LENGTH, { error: failsWith(() => Errors.invalidParameter('description', `at most ${MAX_DESCRIPTION_LENGTH} characters`)) })
  .nullable()
  .meta({ description: `The group's description (at most ${MAX_DESCRIPTION_LENGTH} characters); "" or null removes it`, examples: ['Kumpul tiap Minggu'] });

function participantsField(defaultCountryCode: string) {
  const required = failsWith(() => Errors.participantsRequired());
  return z
    .array(phoneField(defaultCountryCode, 'A participant'), { error: required })
    .min(1, { error: required })
    .max(MAX_PARTICIPANTS, { error: failsWith(() => Errors.invalidParameter('participants', `at most ${MAX_PARTICIPANTS} phone numbers`)) })
    .transform((phones) => [...new Set(phones.map((p) => p.digits))])
    .meta({ description: 'Phone numbers, in the formats the send endpoints accept', examples: [['6281234567890', '6281234567891']] });
}

export function createGroupFields(defaultCountryCode: string) {
  return z.object({ subject: subjectField, participants: participantsField(defaultCountryCode) });
}

export function participantsFields(defaultCountryCode: string) {
  return z.object({
    action: z
      .enum(['add', 'remove', 'promote', 'demote'], { error: failsWith(() => Errors.invalidParameter('action', 'add, remove, promote or demote')) })
      .meta({ description: 'add or remove members; promote to admin or demote to member' }),
    participants: participantsField(defaultCountryCode),
  });
}

export const updateGroupFields = z
  .object({ subject: subjectField.optional(), description: descriptionField.optional() })
  .refine((b) => b.subject !== undefined || b.description !== undefined, {
    error: failsWith(() => Errors.invalidParameter('body', 'subject and/or description')),
  });

// Answers: for the OpenAPI document only (the handlers answer with plain objects), so built with
// it, once (src/openapi/route-doc.ts's builtOnFirstUse), not at start.
export const groupAnswers = builtOnFirstUse(() => {
  const member = z.object({
    phone: z.string().nullable().meta({ description: 'Phone digits; null when WhatsApp did not reveal the number' }),
    lid: z.string().nullable().meta({ description: "The member's LID (`…@lid`), when WhatsApp gave it" }),
    admin: z.enum(['admin', 'superadmin']).nullable().meta({ description: 'null for a member who is not an admin' }),
  });

  const owner = z.string().nullable().meta({ description: "The creator's phone digits; their JID (a LID) when the number is hidden; null when unknown" });

  const groupSummary = z.object({
    id: z.string().meta({ description: 'The group id' }),
    subject: z.string(),
    participants: z.int().meta({ description: 'How many members' }),
    announce: z.boolean().meta({ description: 'Only admins may send messages' }),
    restrict: z.boolean().meta({ description: 'Only admins may edit the subject, description and settings' }),
    owner,
  });

  const groupInfo = z.object({
    id: z.string().meta({ description: 'The group id' }),
    subject: z.string(),
    description: z.string().nullable(),
    owner,
    created_at: z.string().meta({ format: 'date-time' }).nullable(),
    participants: z.array(member),
  });

  const participantResult = z.object({
    phone: z.string(),
    status: z
      .int()
      .meta({ description: "WhatsApp's code for this participant: 200 done, 403 not on WhatsApp (or not allowed), 404 not a member, 409 already a member" }),
  });

  const inviteCode = z.object({
    id: z.string(),
    code: z.string(),
    link: z.string().meta({ description: 'https://chat.whatsapp.com/<code>' }),
  });
  return { groupSummary, groupInfo, participantResult, inviteCode };
});
export type GroupSummaryBody = z.infer<ReturnType<typeof groupAnswers>['groupSummary']>;
export type GroupInfoBody = z.infer<ReturnType<typeof groupAnswers>['groupInfo']>;

export const successBody = <T extends z.ZodType>(message: string, data: T) => z.object({ status: z.literal('success'), message: z.literal(message), data });

export const EXAMPLES = {
  summary: { id: GROUP_ID_EXAMPLE, subject: 'Arisan RT 05', participants: 3, announce: false, restrict: false, owner: '6281234567890' },
  info: {
    id: GROUP_ID_EXAMPLE,
    subject: 'Arisan RT 05',
    description: 'Kumpul tiap Minggu',
    owner: '6281234567890',
    created_at: '2025-09-23T06:45:30.000Z',
    participants: [
      { phone: '6281234567890', lid: '123456789012345@lid', admin: 'superadmin' },
      { phone: '6281234567891', lid: '123456789012346@lid', admin: null },
    ],
  },
  created: {
    id: GROUP_ID_EXAMPLE,
    subject: 'Arisan RT 05',
    description: null,
    owner: '6281111111111',
    created_at: '2025-09-23T06:45:30.000Z',
    participants: [
      { phone: '6281111111111', lid: '99999999999@lid', admin: 'superadmin' },
      { phone: '6281234567890', lid: '123456789012345@lid', admin: null },
    ],
  },
};
