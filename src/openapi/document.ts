/**
 * Builds the OpenAPI 3.1 document from the route table: each entry's description, guard and
 * `doc` (the same zod schemas its handlers validate with, converted by zod's own JSON Schema
 * output, draft 2020-12 as OpenAPI 3.1 uses). Nothing here is written by hand per route.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { SECURITY_SCHEMES, errorBodySchema, namedSchemas, statusOfCode } from './components.js';
import type { ErrorCode } from './error-codes.js';
import { withDoc, type DocumentedRoute, type RequestMediaType, type ResponseDoc, type RouteDoc } from './route-doc.js';

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

type JsonSchema = Record<string, unknown>;
type Route = DocumentedRoute & { doc: RouteDoc };
type Registry = ReturnType<typeof z.registry<{ id: string }>>;

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

/** Express `/api/messages/:id` → OpenAPI `/api/messages/{id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
export const pathParamNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

export const operationId = (route: Pick<DocumentedRoute, 'method' | 'path'>) => {
  const words = route.path.replace(/:(\w+)/g, 'by-$1');
  const name = pascal(words) || 'Root';
  return route.method.toLowerCase() + name;
};

/** zod's output carries `$schema` and `$id` per schema; inside an OpenAPI document neither belongs. */
function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** Registers a schema under an id once; returns the `$ref` to it. */
function refTo(registry: Registry, schema: z.ZodType, id: string): JsonSchema {
  const existing = registry.get(schema)?.id;
  if (!existing) registry.add(schema, { id });
  return { $ref: COMPONENT_URI(existing ?? id) };
}

function inline(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return clean(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema);
}

function parameters(route: Route): JsonSchema[] {
  const result: JsonSchema[] = [];
  const params = route.doc.params ? inline(route.doc.params, 'input') : { properties: {} };
  const paramProps = (params.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of pathParamNames(route.path)) {
    const schema = paramProps[name] as JsonSchema;
    const { description, examples, ...rest } = schema;
    result.push({ name, in: 'path', required: true, description, schema: rest, ...(Array.isArray(examples) ? { example: examples[0] } : {}) });
  }
  for (const [where, fields] of [
    ['query', route.doc.query],
    ['header', route.doc.headers],
  ] as const) {
    if (!fields) continue;
    const object = inline(fields, 'input');
    const required = new Set((object.required ?? []) as string[]);
    for (const [name, schema] of Object.entries((object.properties ?? {}) as Record<string, JsonSchema>)) {
      const { description, examples, ...rest } = schema;
      result.push({ name, in: where, required: required.has(name), description, schema: rest, ...(Array.isArray(examples) ? { example: examples[0] } : {}) });
    }
  }
  return result;
}

/** Codes every route can answer with, on top of its own. */
function routeErrorCodes(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.doc.errors ?? []);
  if (route.guarded) codes.add('UNAUTHORIZED');
  if (route.guarded && route.rateLimited !== false) codes.add('RATE_LIMITED');
  if (route.doc.body || pathParamNames(route.path).length > 0) codes.add('BAD_REQUEST');
  codes.add('INTERNAL_ERROR');
  // Cluster mode: any request may need the shared database.
  codes.add('STORE_UNAVAILABLE');
  if (!route.doc.servedWhileDraining) codes.add('SHUTTING_DOWN');
  return [...codes];
}

function errorResponses(route: Route): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrorCodes(route)) {
    const status = statusOfCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.join(', ')}`,
      content: { 'application/json': { schema: inline(errorBodySchema(codes), 'output') } },
    };
  }
  return responses;
}

function successResponse(doc: ResponseDoc, registry: Registry, id: string): JsonSchema {
  const mediaType = doc.mediaType ?? 'application/json';
  const media: JsonSchema = {};
  if (doc.schema) media.schema = refTo(registry, doc.schema, id);
  if (doc.examples) media.examples = doc.examples;
  const others = Object.fromEntries((doc.otherMediaTypes ?? []).map((type) => [type, {}]));
  return { description: doc.description, content: { [mediaType]: media, ...others } };
}

/**
 * What every route must say about itself; the document is not built without it (and the test
 * that builds it fails), so a route cannot be added undocumented.
 */
export function undocumented(routes: readonly DocumentedRoute[]): string[] {
  const problems: string[] = [];
  for (const route of routes.map(withDoc)) {
    const name = `${route.method} ${route.path}`;
    if (!route.description?.trim()) problems.push(`${name}: no description`);
    if (!route.doc) {
      problems.push(`${name}: no doc`);
      continue;
    }
    if (!route.doc.tag?.trim()) problems.push(`${name}: no tag`);
    if (Object.keys(route.doc.responses ?? {}).length === 0) problems.push(`${name}: no success response`);
    if (route.method === 'POST' && route.doc.body === undefined) problems.push(`${name}: no body schema (body: null if it reads none)`);
    const declared = Object.keys(route.doc.params?.shape ?? {});
    for (const param of pathParamNames(route.path)) if (!declared.includes(param)) problems.push(`${name}: path parameter "${param}" not described`);
  }
  return problems;
}

export function buildOpenApiDocument(documented: readonly DocumentedRoute[], info: DocumentInfo): JsonSchema {
  // Each doc built once here, before namedSchemas() is read: building a doc may name schemas.
  const routes = documented.map(withDoc);
  const problems = undocumented(routes);
  if (problems.length > 0) throw new Error(`Routes missing from the OpenAPI document:\n${problems.join('\n')}`);
  const requests: Registry = z.registry<{ id: string }>();
  const responses: Registry = z.registry<{ id: string }>();
  for (const [schema, id] of namedSchemas()) responses.add(schema, { id });

  const paths: Record<string, Record<string, JsonSchema>> = {};
  const tags: string[] = [];
  for (const route of routes) {
    const opId = operationId(route);
    const { doc } = route;
    if (!tags.includes(doc.tag)) tags.push(doc.tag);
    const operation: JsonSchema = {
      operationId: opId,
      summary: route.description,
      ...(doc.details ? { description: doc.details } : {}),
      tags: [doc.tag],
      security: route.guarded ? [{ apiKey: [] }, { bearer: [] }] : [],
    };
    const params = parameters(route);
    if (params.length > 0) operation.parameters = params;
    if (doc.body) {
      const content: Record<string, JsonSchema> = {};
      let first = true;
      for (const [mediaType, schema] of Object.entries(doc.body.content)) {
        const examples = doc.body.examplesByType?.[mediaType as RequestMediaType] ?? (first ? doc.body.examples : undefined);
        content[mediaType] = {
          schema: refTo(requests, schema, `${pascal(opId)}Request${first ? '' : pascal(mediaType.split('/')[1]!)}`),
          ...(examples ? { examples } : {}),
        };
        first = false;
      }
      operation.requestBody = { required: true, content };
    }
    const answers: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(doc.responses)) {
      answers[status] = successResponse(response as ResponseDoc, responses, `${pascal(opId)}Response${status === '200' ? '' : status}`);
    }
    operation.responses = { ...answers, ...errorResponses(route) };
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation;
  }

  const schemas = {
    ...(z.toJSONSchema(requests, { io: 'input', uri: COMPONENT_URI, unrepresentable: 'any' }).schemas as Record<string, JsonSchema>),
    ...(z.toJSONSchema(responses, { io: 'output', uri: COMPONENT_URI, unrepresentable: 'any' }).schemas as Record<string, JsonSchema>),
  };
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, clean(schema)])),
    },
  };
}
