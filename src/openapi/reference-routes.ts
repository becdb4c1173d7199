/**
 * GET `/api/openapi.json` (the document, built once from the route table on first request) and
 * GET `/docs` (Swagger UI from the swagger-ui-dist package, served by the gateway itself so the
 * page works offline). Both are public, like GET `/`: they tell no more than `/` already does.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { weakEtag } from '../http/etag.js';
import { buildOpenApiDocument, type DocumentInfo } from './document.js';
import type { RouteSpec } from '../http/route-spec.js';
import type { DocumentedRoute, RouteDoc } from './route-doc.js';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/docs';
export const DOCS_ASSETS_PATH = '/docs/assets';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist'));
/** The only files of the package the page needs; its demo index.html (which loads a remote petstore) is not served. */
const SWAGGER_UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

/**
 * Only our own origin: no CDN, no inline script. Images may also be data: URIs, which Swagger UI's
 * stylesheet uses for its icons; they are inline bytes, not a connection anywhere.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WhatsApp Gateway API reference</title>
<link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSETS_PATH}/docs-init.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise ask a public validator about our document.
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const PAGE_ETAG = weakEtag(PAGE);
const INIT_SCRIPT_ETAG = weakEtag(INIT_SCRIPT);

export function openApiDocument(routes: () => readonly DocumentedRoute[], info: DocumentInfo) {
  let document: { json: string; etag: string } | undefined;
  return (_req: Request, res: Response): void => {
    if (!document) {
      const json = JSON.stringify(buildOpenApiDocument(routes(), info));
      document = { json, etag: weakEtag(json) };
    }
    res.setHeader('ETag', document.etag);
    res.type('json').send(document.json);
  };
}

export function docsPage(_req: Request, res: Response): void {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('ETag', PAGE_ETAG);
  res.type('html').send(PAGE);
}

/** Middleware under /docs/assets: Swagger UI's files and our initialiser; anything else falls through to 404. */
export function docsAssets(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return next();
  const file = req.path.slice(1);
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (file === 'docs-init.js') {
    res.setHeader('ETag', INIT_SCRIPT_ETAG);
    res.type('js').send(INIT_SCRIPT);
    return;
  }
  if (!SWAGGER_UI_FILES.has(file)) return next();
  res.sendFile(path.join(swaggerUiDir, file), { maxAge: '1d' });
}

export const openApiDoc = (): RouteDoc => ({
  tag: 'Reference',
  details: 'This document: OpenAPI 3.1, generated from the schemas the routes validate with.',
  responses: {
    200: {
      description: 'The OpenAPI document',
      schema: z.looseObject({
        openapi: z.literal('3.1.0'),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.unknown()),
      }),
    },
  },
});

export const docsPageDoc = (): RouteDoc => ({
  tag: 'Reference',
  details: `An API reference page (Swagger UI) rendered from ${OPENAPI_PATH}; served by the gateway itself, no CDN.`,
  responses: { 200: { description: 'The reference page', mediaType: 'text/html' } },
});

/** The OpenAPI document of every route in the table, and the reference page that shows it. */
export function referenceRoutes(routes: () => readonly DocumentedRoute[], info: DocumentInfo): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: OPENAPI_PATH,
      description: 'OpenAPI 3.1 document of this API',
      guarded: false,
      doc: openApiDoc,
      handlers: [openApiDocument(routes, info)],
    },
    { method: 'GET', path: DOCS_PATH, description: 'API reference page', guarded: false, doc: docsPageDoc, handlers: [docsPage] },
  ];
}
