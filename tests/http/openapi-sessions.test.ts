/**
 * The OpenAPI document of a gateway that serves sessions (the real wiring, startGateway): the
 * session management routes, and every account route again under /api/sessions/{session}/ with
 * the `session` path parameter, in a document that still validates as OpenAPI 3.1.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { E2EHarness } from '../e2e/support/harness.js';
import { operations, type OpenApiDocument } from '../support/openapi.js';

let h: E2EHarness;
let doc: OpenApiDocument;
beforeAll(async () => {
  h = await E2EHarness.start({ env: { API_KEY: 'openapi-sessions-key-0123456789' } });
  doc = (await h.api.get('/api/openapi.json').expect(200)).body as OpenApiDocument;
});
afterAll(() => h?.stop());

const sessionParameter = (path: string, method: string) => doc.paths[path]?.[method]?.parameters?.find((p) => p.name === 'session');

describe('sessions in GET /api/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document with the session routes in it', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    const listed = operations(doc).map(({ method, path }) => `${method} ${path}`);
    expect(listed).toEqual(
      expect.arrayContaining(['POST /api/sessions', 'GET /api/sessions', 'GET /api/sessions/{session}', 'DELETE /api/sessions/{session}']),
    );
  });

  test('every account route is there again under /api/sessions/{session}/, with the session as a path parameter', () => {
    const send = doc.paths['/api/sessions/{session}/send-message']?.post;
    expect(send).toBeDefined();
    expect(sessionParameter('/api/sessions/{session}/send-message', 'post')).toMatchObject({ in: 'path', required: true });
    expect(send?.requestBody).toEqual(doc.paths['/api/send-message']?.post?.requestBody);
    // A route with a path parameter of its own keeps it beside the session's.
    const names = doc.paths['/api/sessions/{session}/messages/{id}']?.get?.parameters?.map((p) => `${p.in}:${p.name}`);
    expect(names).toEqual(expect.arrayContaining(['path:session', 'path:id']));
    expect(sessionParameter('/api/sessions/{session}/qr', 'get')).toMatchObject({ in: 'path', required: true });
    // Each unprefixed account route has its session twin; the service routes have none.
    const accountPaths = Object.keys(doc.paths).filter((p) => doc.paths[`/api/sessions/{session}${p.replace(/^\/api/, '')}`]);
    expect(accountPaths).toEqual(expect.arrayContaining(['/api/send-message', '/api/status', '/api/qr', '/api/messages']));
    expect(doc.paths['/api/sessions/{session}/metrics']).toBeUndefined();
    expect(doc.paths['/api/sessions/{session}/openapi.json']).toBeUndefined();
  });

  test('the session routes name their errors', () => {
    const codes = (path: string, method: string) => JSON.stringify(doc.paths[path]?.[method]?.responses ?? {});
    expect(codes('/api/sessions/{session}/send-message', 'post')).toContain('SESSION_NOT_FOUND');
    expect(codes('/api/sessions', 'post')).toContain('SESSION_EXISTS');
    expect(codes('/api/sessions/{session}', 'delete')).toContain('DEFAULT_SESSION_PROTECTED');
  });
});
