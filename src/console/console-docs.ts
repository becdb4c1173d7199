/**
 * What the console's routes say about themselves in the OpenAPI document. The login body is the
 * schema the login handler validates with, so the document cannot drift from what it accepts.
 */
import { z } from 'zod';
import { Errors } from '../errors/app-error.js';
import { isoTimestamp } from '../openapi/components.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { failsWith } from '../http/request-validation.js';
import { sessionParams } from '../sessions/session-schemas.js';

// Any problem with the key reads the same as a wrong key: nothing to learn from the difference.
const refused = failsWith(() => Errors.unauthorized());
export const loginBody = z.object({ api_key: z.string({ error: refused }).min(1, { error: refused }).meta({ description: 'One of the keys in API_KEY' }) });

const TAG = 'Console';

export const pageDoc = (): RouteDoc => ({
  tag: TAG,
  details: 'The operator console: a page and a few small scripts served by the gateway itself (no CDN).',
  responses: { 200: { description: 'The console page', mediaType: 'text/html' } },
});

export const assetDoc = (): RouteDoc => ({
  tag: TAG,
  params: z.object({ name: z.string().meta({ description: 'File name, e.g. `console.js`', examples: ['console.css'] }) }),
  responses: {
    200: { description: 'A script, a style sheet or an icon of the console', mediaType: 'text/javascript', otherMediaTypes: ['text/css', 'image/svg+xml'] },
  },
  errors: ['NOT_FOUND'],
});

const sessionState = z.object({
  status: z.literal('success'),
  data: z.object({
    auth_required: z.boolean(),
    authenticated: z.boolean(),
    csrf_token: z.string().nullable().meta({ description: 'Send it as X-CSRF-Token on every state-changing call made with the cookie' }),
    expires_at: isoTimestamp.nullable(),
    sandbox: z.boolean(),
  }),
});

export const describeSessionDoc = (): RouteDoc => ({
  tag: TAG,
  responses: { 200: { description: "This browser's console session", schema: sessionState } },
});

export const loginDoc = (): RouteDoc => ({
  tag: TAG,
  details:
    'Trades the API key for an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS) that lasts CONSOLE_SESSION_HOURS; ' +
    'the key is never kept by the browser. At most 20 attempts per client IP per 15 minutes.',
  body: { content: { 'application/json': loginBody }, examples: { key: { summary: 'Log in', value: { api_key: 'your-api-key-of-16-or-more-chars' } } } },
  responses: {
    200: {
      description: 'Logged in (or no key is configured and the console is open)',
      schema: z.union([
        z.object({ status: z.literal('success'), message: z.string(), data: z.object({ csrf_token: z.string(), expires_at: isoTimestamp }) }),
        z.object({ status: z.literal('success'), message: z.string(), data: z.object({ auth_required: z.literal(false) }) }),
      ]),
    },
  },
  errors: ['UNAUTHORIZED', 'RATE_LIMITED', 'MALFORMED_JSON', 'BODY_TOO_LARGE'],
});

export const logoutDoc = (): RouteDoc => ({
  tag: TAG,
  responses: { 200: { description: 'The session ended and its cookie cleared', schema: z.object({ status: z.literal('success'), message: z.string() }) } },
  errors: ['CSRF_TOKEN_INVALID'],
});

export const eventsQuery = z.object({
  session: sessionParams.shape.session.optional().meta({ description: 'The session whose events to stream; `default` when absent' }),
});

export const eventsDoc = (): RouteDoc => ({
  tag: TAG,
  details:
    'Server-sent events `connection`, `qr` (that a new QR is ready, not its value) and `message-status` of one session; ' +
    'needs `Accept: text/event-stream`.',
  query: eventsQuery,
  responses: { 200: { description: 'An endless event stream', mediaType: 'text/event-stream' } },
  errors: ['NOT_ACCEPTABLE', 'INVALID_SESSION_NAME', 'SESSION_NOT_FOUND'],
});
