/**
 * Reading the OpenAPI document in tests: fetch it from the app, list its operations, and compile
 * the schema of a documented response with ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import request from 'supertest';
import type { Express } from 'express';
import { sandboxRoutes, type SandboxPhones } from '../../src/sandbox/sandbox-routes.js';
import type { RouteSpec } from '../../src/app.js';

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & { paths: Record<string, Record<string, Operation>>; components: Json };
export interface Operation extends Json {
  operationId: string;
  summary: string;
  security: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean; example?: unknown; schema: Json }>;
  requestBody?: { content: Record<string, { schema: Json; examples?: Record<string, { summary: string; value: Record<string, unknown> }> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Json; examples?: Record<string, { value: unknown }> }> }>;
}

export async function fetchDocument(app: Express): Promise<OpenApiDocument> {
  const res = await request(app).get('/api/openapi.json').expect(200);
  return res.body as OpenApiDocument;
}

export function operations(doc: OpenApiDocument): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/** Validators for the schemas of one document; refs into components resolve against it. */
export function schemaValidator(doc: OpenApiDocument): (schema: Json) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's annotation for a file part; ajv knows no such format.
  ajv.addFormat('binary', true);
  ajv.addSchema(rebase({ $id: 'https://gateway.test/components', $defs: doc.components.schemas }) as Json);
  return (schema) => ajv.compile(rebase(schema) as Json);
}

/** `#/components/schemas/X` → a ref into the schema registered above. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'https://gateway.test/components#/$defs/') : rebase(v),
      ]),
    );
  }
  return value;
}

/** A small in-memory stand-in for the emulator's phones, so the sandbox routes can be mounted. */
export function sandboxRoutesForTest(): RouteSpec[] {
  const refuse = async (): Promise<never> => {
    throw new Error('no companion is waiting to link');
  };
  const phones: SandboxPhones = { messages: [], sendIncomingText: async () => '3A5F1C2B9D8E7F6A5B4C', enterPairingCode: refuse, scanQr: refuse };
  return sandboxRoutes(phones, '62');
}
