/**
 * The group endpoints (API-EXTENSIONS.md "Groups"): list, info, create, members, subject and
 * description, invite code, leave. Thin: validate, ask the groups port (transport.groups), shape
 * the v2.0.0 success envelope. Same guard and rate limit as the send endpoints; 503 Bot not
 * connected before the body is read, as they answer.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { RouteSpec } from '../app.js';
import { Errors } from '../errors/app-error.js';
import { jsonBody } from '../http/json-body.js';
import { parseRequest } from '../http/request-validation.js';
import type { ErrorCode } from '../openapi/error-codes.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import type { GroupInfo, GroupSummary } from '../whatsapp/group-port.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import { GROUP_ID_EXAMPLE, groupIdParams } from './group-id.js';
import {
  EXAMPLES,
  createGroupFields,
  groupAnswers,
  type GroupInfoBody,
  type GroupSummaryBody,
  participantsFields,
  successBody,
  updateGroupFields,
} from './group-schemas.js';

export interface GroupRouteDeps {
  transport: Pick<WhatsAppTransport, 'groups' | 'status'>;
  defaultCountryCode: string;
}

export const GROUP_MESSAGES = {
  list: 'Groups retrieved successfully',
  info: 'Group retrieved successfully',
  create: 'Group created successfully',
  participants: 'Participants updated successfully',
  update: 'Group updated successfully',
  inviteCode: 'Invite code retrieved successfully',
  leave: 'Left the group successfully',
} as const;

export const inviteLink = (code: string) => `https://chat.whatsapp.com/${code}`;

function summarise(g: GroupSummary): GroupSummaryBody {
  return { id: g.id, subject: g.subject, participants: g.participants, announce: g.announce, restrict: g.restrict, owner: g.owner };
}

function describe(info: GroupInfo): GroupInfoBody {
  return {
    id: info.id,
    subject: info.subject,
    description: info.description,
    owner: info.owner,
    created_at: info.createdAt ? info.createdAt.toISOString() : null,
    participants: info.participants.map((p) => ({ phone: p.phone, lid: p.lid, admin: p.admin })),
  };
}

/** Errors every group route answers once WhatsApp is asked. */
const WHATSAPP_ERRORS: readonly ErrorCode[] = ['BOT_NOT_CONNECTED', 'GROUP_REQUEST_REFUSED', 'GROUP_REQUEST_NO_ANSWER'];
const ONE_GROUP_ERRORS: readonly ErrorCode[] = [...WHATSAPP_ERRORS, 'INVALID_GROUP_ID', 'GROUP_NOT_FOUND'];
const BODY_ERRORS: readonly ErrorCode[] = ['MALFORMED_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_CONTENT_TYPE'];

const TAG = 'Groups';
const DETAILS =
  "Group ids are WhatsApp's (`120363012345678901@g.us`); the bare digits are accepted too. A group the account is not in answers " +
  '404 `Group not found`; a change that needs an admin, when the account is not one, 403. Group metadata is cached ' +
  '(GROUP_METADATA_TTL) and refreshed by group events.';

function doc(
  success: { status?: 200 | 201; description: string; message: string; data: z.ZodType; example: unknown },
  rest: Omit<RouteDoc, 'tag' | 'responses'>,
): RouteDoc {
  const body = { status: 'success', message: success.message, data: success.example };
  return {
    tag: TAG,
    details: DETAILS,
    ...rest,
    responses: {
      [success.status ?? 200]: {
        description: success.description,
        schema: successBody(success.message, success.data),
        examples: { ok: { summary: success.description, value: body } },
      },
    },
  };
}

export function groupRoutes({ transport, defaultCountryCode }: GroupRouteDeps): RouteSpec[] {
  const groups = transport.groups;
  const connected = (_req: Request, _res: Response, next: NextFunction) => {
    if (!transport.status().connected) throw Errors.notConnected();
    next();
  };
  const send = (res: Response, message: string, data: unknown, status = 200) => res.status(status).json({ status: 'success', message, data });
  const idOf = (req: Request) => parseRequest(groupIdParams, req.params).id;
  const createFields = createGroupFields(defaultCountryCode);
  const changeFields = participantsFields(defaultCountryCode);

  return [
    {
      method: 'GET',
      path: '/api/groups',
      description: 'Groups the account is in',
      guarded: true,
      doc: () =>
        doc(
          { description: 'The groups', message: GROUP_MESSAGES.list, data: z.array(groupAnswers().groupSummary), example: [EXAMPLES.summary] },
          { errors: WHATSAPP_ERRORS },
        ),
      handlers: [connected, async (_req, res) => send(res, GROUP_MESSAGES.list, (await groups.list()).map(summarise))],
    },
    {
      method: 'POST',
      path: '/api/groups',
      description: 'Create a group',
      guarded: true,
      doc: () =>
        doc(
          {
            status: 201,
            description: 'Created; the account is its superadmin',
            message: GROUP_MESSAGES.create,
            data: groupAnswers().groupInfo,
            example: EXAMPLES.created,
          },
          {
            body: {
              content: { 'application/json': createFields },
              examples: { group: { summary: 'The account and one member', value: { subject: 'Arisan RT 05', participants: ['6281234567890'] } } },
            },
            errors: [...WHATSAPP_ERRORS, ...BODY_ERRORS, 'SUBJECT_REQUIRED', 'PARTICIPANTS_REQUIRED', 'PHONE_REQUIRED', 'INVALID_PHONE', 'INVALID_PARAMETER'],
          },
        ),
      handlers: [
        connected,
        ...jsonBody(),
        async (req, res) => {
          const { subject, participants } = parseRequest(createFields, req.body);
          send(res, GROUP_MESSAGES.create, describe(await groups.create(subject, participants)), 201);
        },
      ],
    },
    {
      method: 'GET',
      path: '/api/groups/:id',
      description: 'One group: subject, description, owner, members',
      guarded: true,
      doc: () =>
        doc(
          { description: 'The group', message: GROUP_MESSAGES.info, data: groupAnswers().groupInfo, example: EXAMPLES.info },
          { params: groupIdParams, errors: ONE_GROUP_ERRORS },
        ),
      handlers: [connected, async (req, res) => send(res, GROUP_MESSAGES.info, describe(await groups.info(idOf(req))))],
    },
    {
      method: 'PATCH',
      path: '/api/groups/:id',
      description: "Change a group's subject and/or description",
      guarded: true,
      doc: () =>
        doc(
          { description: 'Changed; the group as it is now', message: GROUP_MESSAGES.update, data: groupAnswers().groupInfo, example: EXAMPLES.info },
          {
            params: groupIdParams,
            body: {
              content: { 'application/json': updateGroupFields },
              examples: { subject: { summary: 'A new subject', value: { subject: 'Arisan RT 05', description: 'Kumpul tiap Minggu' } } },
            },
            errors: [...ONE_GROUP_ERRORS, ...BODY_ERRORS, 'GROUP_ADMIN_REQUIRED', 'SUBJECT_REQUIRED', 'INVALID_PARAMETER'],
          },
        ),
      handlers: [
        connected,
        ...jsonBody(),
        async (req, res) => {
          const id = idOf(req);
          const { subject, description } = parseRequest(updateGroupFields, req.body);
          if (subject !== undefined) await groups.updateSubject(id, subject);
          if (description !== undefined) await groups.updateDescription(id, description === '' ? null : description);
          send(res, GROUP_MESSAGES.update, describe(await groups.info(id)));
        },
      ],
    },
    {
      method: 'POST',
      path: '/api/groups/:id/participants',
      description: 'Add, remove, promote or demote group members',
      guarded: true,
      doc: () =>
        doc(
          {
            description: 'A result per participant',
            message: GROUP_MESSAGES.participants,
            data: z.array(groupAnswers().participantResult),
            example: [{ phone: '6281234567891', status: 200 }],
          },
          {
            params: groupIdParams,
            body: {
              content: { 'application/json': changeFields },
              examples: { add: { summary: 'Add a member', value: { action: 'add', participants: ['6281234567891'] } } },
            },
            errors: [
              ...ONE_GROUP_ERRORS,
              ...BODY_ERRORS,
              'GROUP_ADMIN_REQUIRED',
              'PARTICIPANTS_REQUIRED',
              'PHONE_REQUIRED',
              'INVALID_PHONE',
              'INVALID_PARAMETER',
            ],
          },
        ),
      handlers: [
        connected,
        ...jsonBody(),
        async (req, res) => {
          const id = idOf(req);
          const { action, participants } = parseRequest(changeFields, req.body);
          send(
            res,
            GROUP_MESSAGES.participants,
            (await groups.updateParticipants(id, action, participants)).map((r) => ({ phone: r.phone, status: r.status })),
          );
        },
      ],
    },
    {
      method: 'GET',
      path: '/api/groups/:id/invite-code',
      description: "The group's invite code and link",
      guarded: true,
      doc: () =>
        doc(
          {
            description: 'The invite code',
            message: GROUP_MESSAGES.inviteCode,
            data: groupAnswers().inviteCode,
            example: { id: GROUP_ID_EXAMPLE, code: 'Fh2zK4bQ9xW1aB3cD5eF7g', link: inviteLink('Fh2zK4bQ9xW1aB3cD5eF7g') },
          },
          { params: groupIdParams, errors: [...ONE_GROUP_ERRORS, 'GROUP_ADMIN_REQUIRED'] },
        ),
      handlers: [
        connected,
        async (req, res) => {
          const id = idOf(req);
          const code = await groups.inviteCode(id);
          send(res, GROUP_MESSAGES.inviteCode, { id, code, link: inviteLink(code) });
        },
      ],
    },
    {
      method: 'POST',
      path: '/api/groups/:id/leave',
      description: 'Leave a group',
      guarded: true,
      doc: () =>
        doc(
          { description: 'The account left the group', message: GROUP_MESSAGES.leave, data: z.object({ id: z.string() }), example: { id: GROUP_ID_EXAMPLE } },
          { params: groupIdParams, body: null, errors: ONE_GROUP_ERRORS },
        ),
      handlers: [
        connected,
        async (req, res) => {
          const id = idOf(req);
          await groups.leave(id);
          send(res, GROUP_MESSAGES.leave, { id });
        },
      ],
    },
  ];
}
