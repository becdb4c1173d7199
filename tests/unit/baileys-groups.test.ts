/**
 * How the groups adapter words WhatsApp's refusals. The emulator e2e (tests/e2e/groups.test.ts)
 * covers 403 and 404 through the real socket; the answers it cannot produce (no answer in time, a
 * closed connection, 409 and other codes) come from a socket stand-in that rejects exactly as
 * Baileys does: with a Boom carrying WhatsApp's code as `data`, or Baileys' own status.
 */
import { describe, expect, test } from '@jest/globals';
import { Boom } from '@hapi/boom';
import type { WASocket } from '@whiskeysockets/baileys';
import { AppError } from '../../src/errors/app-error.js';
import { BaileysGroups } from '../../src/whatsapp/baileys/baileys-groups.js';

const G = '120363000000000001@g.us';
/** An error node as Baileys' assertNodeErrorFree rejects with it. */
const refusal = (code: number, text: string) => new Boom(text, { data: code });
const member = { id: G, subject: 'x', owner: undefined, participants: [] };

function groupsWith(socket: Partial<Record<keyof WASocket, unknown>> | undefined) {
  return new BaileysGroups(() => socket as WASocket | undefined);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('BaileysGroups: WhatsApp refusals become API errors', () => {
  test('no socket: 503 Bot not connected', async () => {
    const e = await failure(groupsWith(undefined).list());
    expect([e.status, e.code]).toEqual([503, 'BOT_NOT_CONNECTED']);
  });

  test('item-not-found (404), and forbidden (403) on a metadata query: Group not found', async () => {
    for (const code of [404, 403]) {
      const e = await failure(groupsWith({ groupMetadata: async () => Promise.reject(refusal(code, 'x')) }).info(G));
      expect([e.status, e.code, e.message]).toEqual([404, 'GROUP_NOT_FOUND', 'Group not found']);
    }
  });

  test('forbidden on a change: not an admin when the account is in the group, not found when it is not', async () => {
    const asMember = await failure(
      groupsWith({ groupMetadata: async () => member, groupInviteCode: async () => Promise.reject(refusal(403, 'forbidden')) }).inviteCode(G),
    );
    expect([asMember.status, asMember.code]).toEqual([403, 'GROUP_ADMIN_REQUIRED']);
    const outsider = await failure(
      groupsWith({
        groupMetadata: async () => Promise.reject(refusal(403, 'forbidden')),
        groupInviteCode: async () => Promise.reject(refusal(403, 'forbidden')),
      }).inviteCode(G),
    );
    expect([outsider.status, outsider.code]).toEqual([404, 'GROUP_NOT_FOUND']);
  });

  test("other codes keep WhatsApp's code and text; no answer in time is 504; a closed connection 503", async () => {
    const conflict = await failure(groupsWith({ groupUpdateDescription: async () => Promise.reject(refusal(409, 'conflict')) }).updateDescription(G, 'x'));
    expect([conflict.status, conflict.code, conflict.message, conflict.extra]).toEqual([
      502,
      'GROUP_REQUEST_REFUSED',
      'WhatsApp refused the group request: conflict (409)',
      { whatsapp_error: { code: 409, text: 'conflict' } },
    ]);
    const timedOut = await failure(groupsWith({ groupFetchAllParticipating: async () => Promise.reject(new Boom('Timed Out', { statusCode: 408 })) }).list());
    expect([timedOut.status, timedOut.code]).toEqual([504, 'GROUP_REQUEST_NO_ANSWER']);
    const closed = await failure(
      groupsWith({ groupCreate: async () => Promise.reject(new Boom('Connection Closed', { statusCode: 428 })) }).create('x', ['6281234567890']),
    );
    expect([closed.status, closed.code]).toEqual([503, 'BOT_NOT_CONNECTED']);
  });

  test('a bug is not dressed up as WhatsApp refusing', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    await expect(groupsWith({ groupFetchAllParticipating: async () => Promise.reject(bug) }).list()).rejects.toBe(bug);
  });

  test('participant results: WhatsApp codes per number, matched to the numbers asked for', async () => {
    const groups = groupsWith({
      groupParticipantsUpdate: async (_id: string, jids: string[]) => [
        { jid: jids[0], status: '200' },
        { jid: '123456789012345@lid', status: '409' },
      ],
    });
    expect(await groups.updateParticipants(G, 'add', ['6281234567891', '6281234567890'])).toEqual([
      { phone: '6281234567891', status: 200 },
      { phone: '6281234567890', status: 409 },
    ]);
  });
});
