import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { MAX_TEXT_LENGTH } from '../../src/http/send-schemas.js';
import { buildOpenApiDocument, undocumented } from '../../src/openapi/document.js';
import { ERROR_CODES } from '../../src/openapi/error-codes.js';
import { withDoc, type DocumentedRoute, type RouteDoc } from '../../src/openapi/route-doc.js';
import { fetchDocument, operations, sandboxRoutesForTest, schemaValidator, type OpenApiDocument } from '../support/openapi.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

// Webhooks on and the sandbox's routes mounted, so every route the gateway can have is present.
const ALL_ROUTES_ENV = { API_KEY: 'k'.repeat(32), WEBHOOK_URL: 'http://127.0.0.1:9/hook', WEBHOOK_SECRET: 's'.repeat(32) };

let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  t = await buildTestApp(ALL_ROUTES_ENV, { extraRoutes: sandboxRoutesForTest() });
  doc = await fetchDocument(t.app);
});
afterAll(() => t?.cleanup());

/** Routes Express really mounted: the route layers of the app's router (middleware has no route). */
function mountedRoutes(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
  return stack.flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`) : []));
}

const documented = (d: OpenApiDocument) => operations(d).map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`);

describe('GET /api/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    // The validator does look: a broken operation is caught.
    const broken = { ...doc, paths: { ...doc.paths, '/broken': { get: { responses: 'none' } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  test('every schema in it compiles as JSON Schema 2020-12 (ajv, strict mode)', () => {
    const compile = schemaValidator(doc);
    const schemas = operations(doc).flatMap(({ operation }) => [
      ...(operation.parameters ?? []).map((p) => p.schema),
      ...Object.values(operation.requestBody?.content ?? {}).map((media) => media.schema),
      ...Object.values(operation.responses).flatMap((response) =>
        Object.values(response.content ?? {}).flatMap((media) => (media.schema ? [media.schema] : [])),
      ),
    ]);
    for (const schema of schemas) expect(typeof compile(schema)).toBe('function');
    expect(schemas.length).toBeGreaterThan(50);
  });

  test('documents every route Express mounted, and nothing else', () => {
    const mounted = mountedRoutes(t.app);
    expect(mounted).toContain('POST /api/webhooks/deliveries/:id/replay');
    expect(mounted).toContain('POST /api/sandbox/incoming');
    expect([...documented(doc)].sort()).toEqual([...mounted].sort());
  });

  test("matches GET /'s endpoints list, which is read from the same route table", async () => {
    const info = await request(t.app).get('/').expect(200);
    expect(info.body.endpoints).toEqual(expect.arrayContaining(['GET /api/openapi.json - OpenAPI 3.1 document of this API', 'GET /docs - API reference page']));
    const listed = (info.body.endpoints as string[]).map((line) => line.split(' - ')[0]);
    expect([...documented(doc)].sort()).toEqual([...listed].sort());
    const summaries = operations(doc).map(({ method, path, operation }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')} - ${operation.summary}`);
    expect([...summaries].sort()).toEqual([...(info.body.endpoints as string[])].sort());
  });

  test('a gateway without webhooks documents no webhook routes', async () => {
    const plain = await buildTestApp();
    try {
      const paths = documented(await fetchDocument(plain.app));
      expect(paths.some((p) => p.includes('/webhooks/'))).toBe(false);
      expect([...paths].sort()).toEqual([...mountedRoutes(plain.app)].sort());
    } finally {
      await plain.cleanup();
    }
  });

  test("guarded routes require X-API-Key or Bearer; GET /, health, the document, /docs and the console's page and log-in are public", () => {
    expect(Object.keys(doc.components.securitySchemes as object).sort()).toEqual(['apiKey', 'bearer']);
    const publicOps = operations(doc)
      .filter(({ operation }) => operation.security.length === 0)
      .map(({ method, path }) => `${method} ${path}`);
    expect(publicOps.sort()).toEqual(
      [
        'GET /',
        'GET /api/health',
        'GET /api/openapi.json',
        'GET /docs',
        'GET /console',
        'GET /console/assets/{name}',
        'GET /console/session',
        'POST /console/session',
        'DELETE /console/session',
      ].sort(),
    );
    for (const { operation } of operations(doc).filter(({ operation }) => operation.security.length > 0)) {
      expect(operation.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
      expect(operation.responses['401']?.description).toContain('UNAUTHORIZED');
    }
  });

  test('documents the send-message body from the schema the handler validates with', () => {
    const op = doc.paths['/api/send-message']!.post!;
    expect(op.summary).toBe('Send text message');
    expect(Object.keys(op.requestBody!.content)).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
    const ref = (op.requestBody!.content['application/json']!.schema.$ref as string).split('/').pop()!;
    const body = (doc.components.schemas as Record<string, { properties: Record<string, { maxLength?: number }>; required: string[] }>)[ref]!;
    // `phone` or `group` (exactly one, checked by the handler): neither is required on its own.
    expect(body.required).toEqual(['message']);
    expect(Object.keys(body.properties)).toEqual(['phone', 'group', 'message', 'reply_to', 'mentions']);
    expect(body.properties.message?.maxLength).toBe(MAX_TEXT_LENGTH);
    expect(op.requestBody!.content['application/json']!.examples!.text!.value).toEqual({ phone: '6281234567890', message: 'Hello from WhatsApp Gateway API!' });
    expect(op.responses['400']!.content!['application/json']!.schema!.properties).toMatchObject({
      code: {
        enum: expect.arrayContaining([
          'PHONE_REQUIRED',
          'INVALID_PHONE',
          'MESSAGE_REQUIRED',
          'RECIPIENT_CONFLICT',
          'INVALID_GROUP_ID',
          'INVALID_REPLY_TO',
          'INVALID_MENTIONS',
        ]),
      },
    });
    expect(op.responses['404']!.content!['application/json']!.schema!.properties).toMatchObject({
      code: { enum: expect.arrayContaining(['GROUP_NOT_FOUND', 'MESSAGE_NOT_FOUND']) },
    });
  });

  test('uploads are multipart/form-data with a binary `file`, `phone` and (where the kind has one) `caption`, or JSON with `url`/`base64`', () => {
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, Record<string, unknown>>; required: string[] }>;
    for (const [path, caption] of [
      ['/api/send-image', true],
      ['/api/send-document', true],
      ['/api/send-audio', false],
      ['/api/send-video', true],
      ['/api/send-sticker', false],
    ] as const) {
      const content = doc.paths[path]!.post!.requestBody!.content;
      expect(Object.keys(content)).toEqual(['multipart/form-data', 'application/json']);
      const schema = schemas[(content['multipart/form-data']!.schema.$ref as string).split('/').pop()!]!;
      expect(schema.properties.file).toMatchObject({ type: 'string', format: 'binary', contentMediaType: 'application/octet-stream' });
      expect(schema.required.sort()).toEqual(['file']);
      expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['phone', 'group', 'reply_to', 'mentions']));
      expect('caption' in schema.properties).toBe(caption);
      const json = schemas[(content['application/json']!.schema.$ref as string).split('/').pop()!]!;
      expect(Object.keys(json.properties).sort()).toEqual(
        ['base64', 'filename', ...(caption ? ['caption'] : []), 'group', 'mentions', 'phone', 'reply_to', 'url'].sort(),
      );
      expect(json.required ?? []).toEqual([]);
      expect(Object.values(content['application/json']!.examples!).map((e) => Object.keys(e.value as object).sort())).toEqual([
        ['base64', 'filename', 'phone'],
      ]);
    }
  });

  test('every error code in the document is one the gateway has, under its own status', () => {
    for (const { operation } of operations(doc)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const codes = (response.content!['application/json']!.schema!.properties as { code: { enum: string[] } }).code.enum;
        for (const code of codes) expect(`${code} ${ERROR_CODES[code as keyof typeof ERROR_CODES]}`).toBe(`${code} ${status}`);
      }
    }
  });

  test('is public and not rate limited, even with a key set', async () => {
    const limited = await buildTestApp({ API_KEY: 'k'.repeat(32), RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_MAX: '1' });
    try {
      for (let i = 0; i < 3; i++) await request(limited.app).get('/api/openapi.json').expect(200);
      await request(limited.app).get('/docs').expect(200);
      await request(limited.app).get('/api/status').expect(401);
    } finally {
      await limited.cleanup();
    }
  });
});

describe('the documented query schemas validate the requests', () => {
  test('GET /api/qr accepts only the documented formats', async () => {
    t.transport.setPhase('open');
    const res = await request(t.app).get('/api/qr?format=bmp').set('X-API-Key', ALL_ROUTES_ENV.API_KEY).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'INVALID_PARAMETER', message: 'Invalid format: expected json, png, svg' });
    const enumerated = doc.paths['/api/qr']!.get!.parameters!.find((p) => p.name === 'format')!.schema.enum;
    expect(enumerated).toEqual(['json', 'png', 'svg']);
  });

  test('GET /api/messages answers a bad limit with the documented bounds', async () => {
    const res = await request(t.app).get('/api/messages?limit=0').set('X-API-Key', ALL_ROUTES_ENV.API_KEY).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_PARAMETER', message: 'Invalid limit: expected a whole number from 1 to 200' });
    expect(doc.paths['/api/messages']!.get!.parameters!.find((p) => p.name === 'limit')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200 });
  });
});

describe('the route table must document each route', () => {
  const route = (over: Partial<DocumentedRoute>): DocumentedRoute => ({
    method: 'GET',
    path: '/api/things/:id',
    description: 'A thing',
    guarded: true,
    doc: { tag: 'Things', params: z.object({ id: z.string() }), responses: { 200: { description: 'The thing', schema: z.object({ id: z.string() }) } } },
    ...over,
  });
  const info = { title: 't', version: '1', description: 'd' };

  test('a route without a description is refused', () => {
    expect(undocumented([route({ description: '' })])).toEqual(['GET /api/things/:id: no description']);
    expect(() => buildOpenApiDocument([route({ description: ' ' })], info)).toThrow(/no description/);
  });

  test('a route without success responses, or with an undescribed path parameter, is refused', () => {
    expect(undocumented([route({ doc: { tag: 'Things', responses: {} } })])).toEqual([
      'GET /api/things/:id: no success response',
      'GET /api/things/:id: path parameter "id" not described',
    ]);
  });

  test('a POST that does not say what body it reads is refused', () => {
    expect(undocumented([route({ method: 'POST', path: '/api/things', doc: { tag: 'Things', responses: { 200: { description: 'Done' } } } })])).toEqual([
      'POST /api/things: no body schema (body: null if it reads none)',
    ]);
    expect(
      undocumented([route({ method: 'POST', path: '/api/things', doc: { tag: 'Things', body: null, responses: { 200: { description: 'Done' } } } })]),
    ).toEqual([]);
  });

  test('a doc given as a function is built when the document is, once, and documents the route the same', () => {
    const doc = withDoc(route({})).doc;
    let calls = 0;
    const lazy = route({
      doc: (): RouteDoc => {
        calls += 1;
        return doc;
      },
    });
    expect(calls).toBe(0);
    const built = buildOpenApiDocument([lazy], info);
    buildOpenApiDocument([lazy], info);
    expect(calls).toBe(1);
    expect(JSON.stringify(built)).toEqual(JSON.stringify(buildOpenApiDocument([route({})], info)));
  });

  test('a schema change changes the document', () => {
    const before = buildOpenApiDocument([route({})], info);
    const after = buildOpenApiDocument(
      [route({ doc: { ...withDoc(route({})).doc, responses: { 200: { description: 'The thing', schema: z.object({ id: z.string().max(9) }) } } } })],
      info,
    );
    expect(JSON.stringify(after)).not.toEqual(JSON.stringify(before));
    expect(JSON.stringify(after)).toContain('"maxLength":9');
  });
});
