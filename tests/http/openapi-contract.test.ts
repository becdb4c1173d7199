/**
 * The contract test: every documented example request goes through the real app (FakeTransport),
 * in several states of the WhatsApp connection, and every answer must have a documented status
 * and match the documented schema for it. Documented examples must match their own schemas too.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import type { ConnectionPhase } from '../../src/whatsapp/transport.js';
import { sampleFor } from '../support/fixtures.js';
import { fetchDocument, operations, sandboxRoutesForTest, schemaValidator, type OpenApiDocument, type Operation } from '../support/openapi.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const KEY = 'k'.repeat(32);
const ENV = { API_KEY: KEY, WEBHOOK_URL: 'http://127.0.0.1:9/hook', WEBHOOK_SECRET: 's'.repeat(32) };

let t: TestApp | undefined;
afterEach(() => t?.cleanup());

interface Answer {
  operation: string;
  status: number;
  body: unknown;
}

/** One request per documented example (per body media type), or one plain request when it has none. */
function exampleRequests(path: string, op: Operation) {
  let url = path;
  const query: Record<string, string> = {};
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    if (p.in === 'query' && p.example !== undefined) query[p.name] = String(p.example);
  }
  const content = op.requestBody?.content ?? {};
  const examples = Object.values(content).flatMap((media) => Object.values(media.examples ?? {}));
  if (examples.length === 0) return [{ url, query, mediaType: undefined, body: undefined }];
  // A media type with examples of its own is sent those; the others are sent the shared ones.
  const shared = Object.values(content).find((media) => media.examples)!.examples!;
  return Object.entries(content).flatMap(([mediaType, media]) =>
    Object.values(media.examples ?? shared).map((example) => ({ url, query, mediaType, body: example.value })),
  );
}

async function send(app: TestApp['app'], method: string, path: string, op: Operation, withKey: boolean): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const r of exampleRequests(path, op)) {
    let req = request(app)[method.toLowerCase() as 'get' | 'post'](r.url).query(r.query);
    if (withKey) req = req.set('X-API-Key', KEY);
    if (r.mediaType === 'application/json') req = req.send(r.body);
    if (r.mediaType === 'application/x-www-form-urlencoded') req = req.type('form').send(r.body);
    if (r.mediaType === 'multipart/form-data') {
      for (const [name, value] of Object.entries(r.body ?? {})) {
        // A binary part's example names the file: send sample bytes of that type under that name.
        if (name === 'file') req = req.attach('file', sampleFor('image', String(value).split('.').pop()!), String(value));
        else req = req.field(name, String(value));
      }
    }
    const res = await req;
    answers.push({
      operation: `${method} ${path}${r.mediaType ? ` (${r.mediaType})` : ''}`,
      status: res.status,
      body: res.type === 'application/json' ? res.body : res.type,
    });
  }
  return answers;
}

/** The answer's status is documented, and its body matches the documented schema (or media type). */
function checkAgainstDocument(doc: OpenApiDocument, op: Operation, answer: Answer, compile: ReturnType<typeof schemaValidator>): void {
  const documented = op.responses[String(answer.status)];
  expect({ operation: answer.operation, status: answer.status, documented: documented !== undefined }).toEqual({
    operation: answer.operation,
    status: answer.status,
    documented: true,
  });
  const content = documented!.content ?? {};
  if (typeof answer.body === 'string') {
    expect(Object.keys(content).some((type) => type === answer.body || type === '*/*')).toBe(true);
    return;
  }
  const validate = compile(content['application/json']!.schema!);
  const ok = validate(answer.body);
  expect({ operation: answer.operation, status: answer.status, errors: ok ? null : validate.errors, body: ok ? null : answer.body }).toEqual({
    operation: answer.operation,
    status: answer.status,
    errors: null,
    body: null,
  });
}

async function runAll(state: { phase: ConnectionPhase; qr?: string; env?: Record<string, string> }, withKey = true): Promise<Map<string, number[]>> {
  t = await buildTestApp({ ...ENV, ...state.env }, { extraRoutes: sandboxRoutesForTest() });
  const reset = () => {
    t!.transport.qr = state.qr ?? null;
    t!.transport.setPhase(state.phase);
  };
  reset();
  const doc = await fetchDocument(t.app);
  const compile = schemaValidator(doc);
  const statuses = new Map<string, number[]>();
  for (const { method, path, operation } of operations(doc)) {
    for (const answer of await send(t.app, method, path, operation, withKey)) {
      checkAgainstDocument(doc, operation, answer, compile);
      statuses.set(`${method} ${path}`, [...(statuses.get(`${method} ${path}`) ?? []), answer.status]);
    }
    reset(); // POST /api/logout unlinks the fake account
  }
  return statuses;
}

/**
 * Routes whose documented example answers otherwise while linked: linking routes refuse (and the
 * sandbox's stand-in phone has nothing to link), as documented; the console's example asset exists.
 */
const EXPECTED_WHEN_LINKED: Record<string, number> = {
  'POST /api/pairing-code': 409,
  'POST /api/sandbox/enter-pairing-code': 400,
  'POST /api/sandbox/scan-qr': 400,
  // The documented login example carries a placeholder, not the configured key.
  'POST /console/session': 401,
  // The example request does not ask for an event stream (it would never end).
  'GET /console/events': 406,
  'GET /console/assets/{name}': 200,
  // Creates the group: 201 Created.
  'POST /api/groups': 201,
  // The example reacts to a message id this fresh gateway never sent nor received.
  'POST /api/send-reaction': 404,
};

const SENDS = ['/api/send-message', '/api/send-image', '/api/send-document', '/api/send-audio', '/api/send-video', '/api/send-sticker'].map((p) => `POST ${p}`);

describe('every documented example, through the real app', () => {
  test('connected: each answers as documented, and every route without a path parameter succeeds', async () => {
    const statuses = await runAll({ phase: 'open' });
    for (const [operation, codes] of statuses) {
      const refused = EXPECTED_WHEN_LINKED[operation];
      const expected = refused ? [refused] : operation.includes('{') ? [404] : [200, 202];
      for (const code of codes) expect(`${operation} ${code}`).toBe(`${operation} ${expected.includes(code) ? code : expected.join('|')}`);
    }
    // Sent three ways (JSON, form, multipart fields) from the one documented example.
    expect(statuses.get('POST /api/send-message')).toEqual([200, 200, 200]);
    // Media: the v2.0.0 multipart example, then the JSON one with the file as base64.
    for (const send of SENDS.slice(1)) expect(statuses.get(send)).toEqual([200, 200]);
  });

  test('a record created by the send-message example reads back as documented', async () => {
    t = await buildTestApp(ENV);
    const doc = await fetchDocument(t.app);
    const compile = schemaValidator(doc);
    const example = doc.paths['/api/send-message']!.post!.requestBody!.content['application/json']!.examples!.text!.value;
    const sent = await request(t.app).post('/api/send-message').set('X-API-Key', KEY).send(example).expect(200);
    const got = await request(t.app).get(`/api/messages/${sent.body.data.id}`).set('X-API-Key', KEY).expect(200);
    checkAgainstDocument(doc, doc.paths['/api/messages/{id}']!.get!, { operation: 'GET /api/messages/{id}', status: 200, body: got.body }, compile);
    const deliveries = await request(t.app).get('/api/webhooks/deliveries').set('X-API-Key', KEY).expect(200);
    expect(deliveries.body.data.length).toBeGreaterThan(0);
    checkAgainstDocument(
      doc,
      doc.paths['/api/webhooks/deliveries']!.get!,
      { operation: 'GET /api/webhooks/deliveries', status: 200, body: deliveries.body },
      compile,
    );
  });

  test('waiting for a QR scan: the QR as documented; sends refused with a documented 503', async () => {
    const statuses = await runAll({ phase: 'awaiting_qr', qr: '2@8QJwrEjN8hKDGkjgh' });
    expect(statuses.get('GET /api/qr')).toEqual([200]);
    expect(statuses.get('POST /api/pairing-code')).toEqual([200, 200, 200]); // JSON, form and multipart
    for (const send of SENDS) expect(new Set(statuses.get(send))).toEqual(new Set([503]));
  });

  test('still connecting: QR not available yet, documented', async () => {
    const statuses = await runAll({ phase: 'connecting' });
    expect(statuses.get('GET /api/qr')).toEqual([503]);
    expect(statuses.get('GET /api/health')).toEqual([200]);
  });

  test('disconnected with the outbox on: sends are queued (202), as documented', async () => {
    const statuses = await runAll({ phase: 'connecting', env: { QUEUE_WHEN_DISCONNECTED: 'true' } });
    for (const send of SENDS) expect(new Set(statuses.get(send))).toEqual(new Set([202]));
  });

  test('without the key: every guarded route answers a documented 401, public ones still answer', async () => {
    const statuses = await runAll({ phase: 'open' }, false);
    expect(statuses.get('GET /')).toEqual([200]);
    expect(statuses.get('GET /docs')).toEqual([200]);
    expect(statuses.get('POST /api/send-message')).toEqual([401, 401, 401]);
    expect(statuses.get('GET /api/status')).toEqual([401]);
  });
});

describe('documented examples match their own schemas', () => {
  test('every response example, and every JSON request example', async () => {
    t = await buildTestApp(ENV, { extraRoutes: sandboxRoutesForTest() });
    const doc = await fetchDocument(t.app);
    const compile = schemaValidator(doc);
    let checked = 0;
    for (const { method, path, operation } of operations(doc)) {
      const media = [
        ...Object.entries(operation.responses).flatMap(([status, r]) =>
          Object.entries(r.content ?? {}).map(([type, m]) => ({ where: `${method} ${path} ${status} ${type}`, ...m })),
        ),
        ...Object.entries(operation.requestBody?.content ?? {})
          .filter(([type]) => type === 'application/json')
          .map(([type, m]) => ({ where: `${method} ${path} request ${type}`, ...m })),
      ];
      for (const { where, schema, examples } of media) {
        if (!schema || !examples) continue;
        const validate = compile(schema);
        for (const [name, example] of Object.entries(examples)) {
          expect({ where, name, errors: validate(example.value) ? null : validate.errors }).toEqual({ where, name, errors: null });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(15);
  });
});
