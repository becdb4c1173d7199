/**
 * The group routes through the real app with the fake groups port (tests/support/fake-groups.ts):
 * every route's answer and every error it documents, auth and the 503 while disconnected, and the
 * group.update webhook built from the port's event.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { Errors } from '../../src/errors/app-error.js';
import { FAKE_ACCOUNT_PHONE } from '../support/fake-groups.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { startReceiver } from '../webhooks/receiver.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const KEY = 'k'.repeat(32);
let t: TestApp;
afterEach(() => t?.cleanup());

const api = () => request(t.app);
const expectError = (res: request.Response, status: number, code: string, message?: string | RegExp) => {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.body).toMatchObject({ status: 'error', timestamp: expect.any(String) });
  if (message) expect(res.body.message).toMatch(message);
};

describe('GET /api/groups', () => {
  test('lists the groups the account is in, in the documented shape', async () => {
    t = await buildTestApp();
    const mine = t.transport.groups.seed({ subject: 'Arisan', members: [FAKE_ACCOUNT_PHONE, SITI], owner: BUDI });
    t.transport.groups.seed({ subject: 'Not mine', members: [SITI], owner: BUDI });
    const res = await api().get('/api/groups').expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Groups retrieved successfully',
      data: [{ id: mine, subject: 'Arisan', participants: 3, announce: false, restrict: false, owner: BUDI }],
    });
  });

  test('WhatsApp not answering is 504, refusing is 502 with its code', async () => {
    t = await buildTestApp();
    t.transport.groups.failNext = Errors.groupRequestNoAnswer('no answer in time');
    expectError(await api().get('/api/groups'), 504, 'GROUP_REQUEST_NO_ANSWER', 'WhatsApp did not answer the group request: no answer in time');
    t.transport.groups.failNext = Errors.groupRequestRefused(429, 'rate-overlimit');
    const refused = await api().get('/api/groups');
    expectError(refused, 502, 'GROUP_REQUEST_REFUSED', 'WhatsApp refused the group request: rate-overlimit (429)');
    expect(refused.body.whatsapp_error).toEqual({ code: 429, text: 'rate-overlimit' });
  });

  test('needs the key and is rate limited like the send endpoints', async () => {
    t = await buildTestApp({ API_KEY: KEY, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '2' });
    expectError(await api().get('/api/groups'), 401, 'UNAUTHORIZED');
    await api().get('/api/groups').set('X-API-Key', KEY).expect(200);
    expectError(await api().get('/api/groups').set('Authorization', `Bearer ${KEY}`), 429, 'RATE_LIMITED');
  });
});

describe('every group route while WhatsApp is not connected', () => {
  test.each([
    ['get', '/api/groups'],
    ['post', '/api/groups'],
    ['get', '/api/groups/120363000000000001@g.us'],
    ['patch', '/api/groups/120363000000000001@g.us'],
    ['post', '/api/groups/120363000000000001@g.us/participants'],
    ['get', '/api/groups/120363000000000001@g.us/invite-code'],
    ['post', '/api/groups/120363000000000001@g.us/leave'],
  ] as const)('%s %s answers 503 Bot not connected with Retry-After, before reading the body', async (method, path) => {
    t = await buildTestApp();
    t.transport.setPhase('waiting_to_retry');
    const res = await api()[method](path).set('Content-Type', 'application/json').send('{not json');
    expectError(res, 503, 'BOT_NOT_CONNECTED', 'Bot not connected');
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('POST /api/groups', () => {
  test('creates the group (201) with the numbers normalised; the account is superadmin', async () => {
    t = await buildTestApp();
    const res = await api()
      .post('/api/groups')
      .send({ subject: '  Arisan RT 05 ', participants: ['081234567890', `+${SITI}`, BUDI] })
      .expect(201);
    expect(res.body).toMatchObject({ status: 'success', message: 'Group created successfully' });
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^120363\d+@g\.us$/),
      subject: 'Arisan RT 05',
      description: null,
      owner: FAKE_ACCOUNT_PHONE,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      participants: [
        { phone: FAKE_ACCOUNT_PHONE, lid: null, admin: 'superadmin' },
        { phone: BUDI, lid: null, admin: null },
        { phone: SITI, lid: null, admin: null },
      ],
    });
  });

  test.each([
    ['no subject', { participants: [BUDI] }, 'SUBJECT_REQUIRED', 'Subject required'],
    ['a blank subject', { subject: '   ', participants: [BUDI] }, 'SUBJECT_REQUIRED', 'Subject required'],
    ['a subject that is no text', { subject: 42, participants: [BUDI] }, 'SUBJECT_REQUIRED', 'Subject required'],
    [
      'a subject over 100 characters',
      { subject: 'x'.repeat(101), participants: [BUDI] },
      'INVALID_PARAMETER',
      'Invalid subject: expected at most 100 characters',
    ],
    ['no participants', { subject: 'Arisan' }, 'PARTICIPANTS_REQUIRED', 'Participants required: an array of phone numbers'],
    ['an empty list', { subject: 'Arisan', participants: [] }, 'PARTICIPANTS_REQUIRED', 'Participants required'],
    ['one number, not a list', { subject: 'Arisan', participants: BUDI }, 'PARTICIPANTS_REQUIRED', 'Participants required'],
    ['a bad number', { subject: 'Arisan', participants: ['12ab'] }, 'INVALID_PHONE', 'Invalid phone number'],
    ['a null number', { subject: 'Arisan', participants: [null] }, 'PHONE_REQUIRED', 'Phone number required'],
    [
      '1025 numbers',
      { subject: 'Arisan', participants: Array.from({ length: 1025 }, (_, i) => `62812${String(i).padStart(7, '0')}`) },
      'INVALID_PARAMETER',
      'at most 1024',
    ],
  ])('%s → 400 %s', async (_label, body, code, message) => {
    t = await buildTestApp();
    expectError(await api().post('/api/groups').send(body), 400, code, message);
    expect(t.transport.groups.groups.size).toBe(0);
  });

  test('bodies: malformed JSON, a form, and one over 64 KB are refused', async () => {
    t = await buildTestApp();
    expectError(await api().post('/api/groups').set('Content-Type', 'application/json').send('{"subject":'), 400, 'MALFORMED_JSON');
    expectError(
      await api().post('/api/groups').type('form').send({ subject: 'Arisan', participants: BUDI }),
      400,
      'UNSUPPORTED_CONTENT_TYPE',
      'expected application/json',
    );
    expectError(
      await api()
        .post('/api/groups')
        .send({ subject: 'Arisan', participants: [BUDI], pad: 'x'.repeat(70_000) }),
      413,
      'BODY_TOO_LARGE',
    );
  });
});

describe('GET /api/groups/:id', () => {
  test('by JID or bare digits', async () => {
    t = await buildTestApp();
    const id = t.transport.groups.seed({ subject: 'Arisan', members: [FAKE_ACCOUNT_PHONE, SITI], owner: BUDI });
    for (const given of [id, id.replace('@g.us', ''), encodeURIComponent(id)]) {
      const res = await api().get(`/api/groups/${given}`).expect(200);
      expect(res.body).toMatchObject({
        status: 'success',
        message: 'Group retrieved successfully',
        data: { id, subject: 'Arisan', owner: BUDI, description: null },
      });
      expect(res.body.data.participants).toEqual([
        { phone: BUDI, lid: null, admin: 'superadmin' },
        { phone: FAKE_ACCOUNT_PHONE, lid: null, admin: null },
        { phone: SITI, lid: null, admin: null },
      ]);
    }
  });

  test('an unknown group and one the account is not in are 404 Group not found; a malformed id is 400', async () => {
    t = await buildTestApp();
    const other = t.transport.groups.seed({ subject: 'Not mine', members: [SITI], owner: BUDI });
    expectError(await api().get('/api/groups/120363999999999999@g.us'), 404, 'GROUP_NOT_FOUND', 'Group not found');
    expectError(await api().get(`/api/groups/${other}`), 404, 'GROUP_NOT_FOUND', 'Group not found');
    for (const bad of ['abc', '6281234567890@s.whatsapp.net', '1234', '120363@g.us.evil']) {
      expectError(await api().get(`/api/groups/${encodeURIComponent(bad)}`), 400, 'INVALID_GROUP_ID', 'Invalid group id');
    }
  });
});

describe('PATCH /api/groups/:id', () => {
  test('changes the subject and description and answers with the group as it is now', async () => {
    t = await buildTestApp();
    const { body } = await api()
      .post('/api/groups')
      .send({ subject: 'Lama', participants: [BUDI] })
      .expect(201);
    const id = body.data.id as string;
    const res = await api().patch(`/api/groups/${id}`).send({ subject: 'Baru', description: 'Tiap Minggu' }).expect(200);
    expect(res.body).toMatchObject({ status: 'success', message: 'Group updated successfully', data: { id, subject: 'Baru', description: 'Tiap Minggu' } });
    for (const removal of ['', null]) {
      await api().patch(`/api/groups/${id}`).send({ description: 'again' }).expect(200);
      const cleared = await api().patch(`/api/groups/${id}`).send({ description: removal }).expect(200);
      expect(cleared.body.data).toMatchObject({ subject: 'Baru', description: null });
    }
  });

  test('errors: nothing to change, bad fields, not an admin of a restricted group, not in the group', async () => {
    t = await buildTestApp();
    const restricted = t.transport.groups.seed({ subject: 'Terkunci', members: [FAKE_ACCOUNT_PHONE], owner: BUDI, restrict: true });
    const other = t.transport.groups.seed({ subject: 'Not mine', members: [SITI], owner: BUDI });
    expectError(await api().patch(`/api/groups/${restricted}`).send({}), 400, 'INVALID_PARAMETER', 'Invalid body: expected subject and/or description');
    expectError(await api().patch(`/api/groups/${restricted}`).send({ subject: '' }), 400, 'SUBJECT_REQUIRED');
    expectError(await api().patch(`/api/groups/${restricted}`).send({ description: 7 }), 400, 'INVALID_PARAMETER', 'Invalid description');
    expectError(
      await api()
        .patch(`/api/groups/${restricted}`)
        .send({ description: 'x'.repeat(2049) }),
      400,
      'INVALID_PARAMETER',
      'at most 2048',
    );
    expectError(
      await api().patch(`/api/groups/${restricted}`).send({ subject: 'Mine now' }),
      403,
      'GROUP_ADMIN_REQUIRED',
      'Forbidden: the account is not an admin of this group',
    );
    expectError(await api().patch(`/api/groups/${other}`).send({ subject: 'Mine now' }), 404, 'GROUP_NOT_FOUND');
    expectError(await api().patch('/api/groups/nope').send({ subject: 'x' }), 400, 'INVALID_GROUP_ID');
    expect(t.transport.groups.groups.get(restricted)!.subject).toBe('Terkunci');
  });
});

describe('POST /api/groups/:id/participants', () => {
  test('answers a result per participant, as WhatsApp gives them', async () => {
    t = await buildTestApp();
    const { body } = await api()
      .post('/api/groups')
      .send({ subject: 'Panitia', participants: [BUDI] })
      .expect(201);
    const path = `/api/groups/${body.data.id}/participants`;
    const added = await api()
      .post(path)
      .send({ action: 'add', participants: [SITI, BUDI, '6280000000000'] })
      .expect(200);
    expect(added.body).toEqual({
      status: 'success',
      message: 'Participants updated successfully',
      data: [
        { phone: SITI, status: 200 },
        { phone: BUDI, status: 409 },
        { phone: '6280000000000', status: 403 },
      ],
    });
    expect(
      (
        await api()
          .post(path)
          .send({ action: 'promote', participants: [SITI] })
          .expect(200)
      ).body.data,
    ).toEqual([{ phone: SITI, status: 200 }]);
    expect(t.transport.groups.groups.get(body.data.id)!.members.get(SITI)).toBe('admin');
    await api()
      .post(path)
      .send({ action: 'demote', participants: [SITI] })
      .expect(200);
    expect(t.transport.groups.groups.get(body.data.id)!.members.get(SITI)).toBeNull();
    const removed = await api()
      .post(path)
      .send({ action: 'remove', participants: [SITI, '6281299999999'] })
      .expect(200);
    expect(removed.body.data).toEqual([
      { phone: SITI, status: 200 },
      { phone: '6281299999999', status: 404 },
    ]);
  });

  test('errors: bad action, no participants, not an admin, not in the group', async () => {
    t = await buildTestApp();
    const member = t.transport.groups.seed({ subject: 'Member', members: [FAKE_ACCOUNT_PHONE], owner: BUDI });
    const other = t.transport.groups.seed({ subject: 'Not mine', members: [SITI], owner: BUDI });
    const path = `/api/groups/${member}/participants`;
    for (const action of [undefined, 'kick', 5]) {
      expectError(
        await api()
          .post(path)
          .send({ action, participants: [SITI] }),
        400,
        'INVALID_PARAMETER',
        'Invalid action: expected add, remove, promote or demote',
      );
    }
    expectError(await api().post(path).send({ action: 'add' }), 400, 'PARTICIPANTS_REQUIRED');
    expectError(
      await api()
        .post(path)
        .send({ action: 'add', participants: ['x'] }),
      400,
      'INVALID_PHONE',
    );
    expectError(
      await api()
        .post(path)
        .send({ action: 'add', participants: [SITI] }),
      403,
      'GROUP_ADMIN_REQUIRED',
    );
    expectError(
      await api()
        .post(`/api/groups/${other}/participants`)
        .send({ action: 'add', participants: [BUDI] }),
      404,
      'GROUP_NOT_FOUND',
    );
    expectError(
      await api()
        .post('/api/groups/x/participants')
        .send({ action: 'add', participants: [BUDI] }),
      400,
      'INVALID_GROUP_ID',
    );
  });
});

describe('GET /api/groups/:id/invite-code', () => {
  test("the code and the group's link; only for admins", async () => {
    t = await buildTestApp();
    const { body } = await api()
      .post('/api/groups')
      .send({ subject: 'Undangan', participants: [BUDI] })
      .expect(201);
    const id = body.data.id as string;
    const res = await api()
      .get(`/api/groups/${id.replace('@g.us', '')}/invite-code`)
      .expect(200);
    const code = t.transport.groups.groups.get(id)!.inviteCode;
    expect(res.body).toEqual({
      status: 'success',
      message: 'Invite code retrieved successfully',
      data: { id, code, link: `https://chat.whatsapp.com/${code}` },
    });

    const member = t.transport.groups.seed({ subject: 'Member', members: [FAKE_ACCOUNT_PHONE], owner: BUDI });
    expectError(await api().get(`/api/groups/${member}/invite-code`), 403, 'GROUP_ADMIN_REQUIRED');
    expectError(await api().get('/api/groups/120363999999999999/invite-code'), 404, 'GROUP_NOT_FOUND');
    expectError(await api().get('/api/groups/abc/invite-code'), 400, 'INVALID_GROUP_ID');
  });
});

describe('POST /api/groups/:id/leave', () => {
  test('leaves; then the group is not found', async () => {
    t = await buildTestApp();
    const id = t.transport.groups.seed({ subject: 'Pergi', members: [FAKE_ACCOUNT_PHONE, SITI], owner: BUDI });
    expect((await api().post(`/api/groups/${id}/leave`).expect(200)).body).toEqual({ status: 'success', message: 'Left the group successfully', data: { id } });
    expect(t.transport.groups.groups.get(id)!.members.has(FAKE_ACCOUNT_PHONE)).toBe(false);
    expectError(await api().post(`/api/groups/${id}/leave`), 404, 'GROUP_NOT_FOUND');
    expectError(await api().get(`/api/groups/${id}`), 404, 'GROUP_NOT_FOUND');
    expectError(await api().post('/api/groups/bad-id/leave'), 400, 'INVALID_GROUP_ID');
  });
});

describe('GET / lists the group endpoints', () => {
  test('every group route is in the index', async () => {
    t = await buildTestApp();
    const text = JSON.stringify((await api().get('/').expect(200)).body);
    for (const route of [
      'GET /api/groups',
      'POST /api/groups',
      'GET /api/groups/:id',
      'PATCH /api/groups/:id',
      'POST /api/groups/:id/participants',
      'GET /api/groups/:id/invite-code',
      'POST /api/groups/:id/leave',
    ]) {
      expect(text).toContain(route);
    }
  });
});

describe('group.update webhook', () => {
  test("the port's group-update event reaches receivers in the documented shape", async () => {
    const receiver = await startReceiver();
    try {
      t = await buildTestApp({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 's'.repeat(32) });
      const id = '120363012345678901@g.us';
      t.transport.events.emit('group-update', {
        id,
        author: { phone: BUDI, lid: '123456789012345@lid' },
        action: 'add',
        participants: [{ phone: SITI, lid: '123456789012346@lid' }],
      });
      t.transport.events.emit('group-update', { id, author: null, subject: 'Baru', description: '' });
      const deadline = Date.now() + 5000;
      while (receiver.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const bodies = receiver.requests.map((r) => JSON.parse(r.body) as { event: string; data: unknown });
      expect(bodies.map((b) => b.event)).toEqual(['group.update', 'group.update']);
      expect(bodies.map((b) => b.data)).toEqual(
        expect.arrayContaining([
          {
            group: id,
            author: { phone: BUDI, lid: '123456789012345@lid' },
            action: 'add',
            participants: [{ phone: SITI, lid: '123456789012346@lid' }],
            subject: null,
            description: null,
            announce: null,
            restrict: null,
          },
          { group: id, author: null, action: null, participants: [], subject: 'Baru', description: '', announce: null, restrict: null },
        ]),
      );
    } finally {
      await receiver.close();
    }
  });
});
