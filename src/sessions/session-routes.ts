/**
 * Session management (API-EXTENSIONS.md "Sessions"): create (the session's key shown once), list,
 * inspect (its /api/status), delete (logs out and removes its data). Creating, listing and
 * deleting need an admin key; a session's own key may inspect its session.
 */
import type { Request, Response } from 'express';
import { accountInfoDeps, type SharedParts } from '../account-routes.js';
import { botStatus } from '../http/info-routes.js';
import { botStatusDoc } from '../http/info-schemas.js';
import { jsonBody } from '../http/json-body.js';
import { parseRequest } from '../http/request-validation.js';
import type { RouteSpec } from '../http/route-spec.js';
import type { ErrorCode } from '../openapi/error-codes.js';
import { ProxyAddress } from '../proxy/proxy-address.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { SessionErrors } from './session-errors.js';
import type { SessionManager } from './session-manager.js';
import { DEFAULT_SESSION } from './session-name.js';
import type { SessionRuntime } from './session-runtime.js';
import { SESSION_MESSAGES, createSessionFields, createdSession, deletedSession, sessionList, sessionParams, type sessionSummary } from './session-schemas.js';
import type { z } from 'zod';

const TAG = 'Sessions';
const DETAILS =
  'Each session is one linked WhatsApp account with its own credentials, QR and pairing code, records, outbox, idempotency keys, ' +
  'webhooks, optional proxy (`proxy_url`) and data folder. Every account route also exists under `/api/sessions/{session}/` (e.g. ' +
  '`/api/sessions/sales/send-message`); the unprefixed routes act on `default`. API_KEY keys are admin keys; a session key ' +
  'opens only its own session (and the unprefixed routes when its session is `default`).';
const ADMIN_ERRORS: readonly ErrorCode[] = ['ADMIN_KEY_REQUIRED'];

function summary(runtime: SessionRuntime, sessions: SessionManager): z.infer<typeof sessionSummary> {
  const status = runtime.transport.status();
  const ownWebhook = sessions.hasOwnWebhook(runtime.name);
  const webhook = ownWebhook ? 'own' : runtime.config.webhooks.urls.length > 0 ? 'global' : 'none';
  return {
    name: runtime.name,
    connected: status.connected,
    state: status.phase,
    account: status.account ?? null,
    webhook,
    proxy: runtime.config.waProxy?.redacted ?? null,
    created_at: sessions.createdAt(runtime.name)?.toISOString() ?? null,
  };
}

const ok = (description: string, schema: z.ZodType, example: unknown): RouteDoc['responses'] => ({
  200: { description, schema, examples: { ok: { summary: description, value: example } } },
});

export function sessionRoutes(sessions: SessionManager, shared: SharedParts): RouteSpec[] {
  const runtimeOf = (req: Request) => {
    const runtime = sessions.get(parseRequest(sessionParams, req.params).session);
    if (!runtime) throw SessionErrors.notFound();
    return runtime;
  };
  const example = { name: 'sales', connected: false, state: 'qr', account: null, webhook: 'own', proxy: null, created_at: '2026-12-02T10:00:00.000Z' };
  return [
    {
      method: 'POST',
      path: '/api/sessions',
      description: 'Create a session (another WhatsApp account); its API key is shown once',
      guarded: true,
      doc: {
        tag: TAG,
        details: DETAILS,
        body: {
          content: { 'application/json': createSessionFields },
          examples: {
            plain: { summary: 'A session using the global webhooks', value: { name: 'sales' } },
            webhook: {
              summary: 'With its own webhook',
              value: { name: 'support', webhook_url: 'https://crm.example.com/hooks/wa', webhook_secret: 'a-long-random-secret-value' },
            },
            proxy: { summary: 'Through its own proxy', value: { name: 'berlin', proxy_url: 'socks5h://user:pass@proxy.example.com:1080' } },
          },
        },
        responses: {
          201: {
            description: 'Created and connecting: link it with GET /api/sessions/{session}/qr or POST /api/sessions/{session}/pairing-code',
            schema: createdSession,
            examples: {
              ok: { summary: 'Created', value: { status: 'success', message: SESSION_MESSAGES.created, data: { name: 'sales', api_key: 'wgs_…' } } },
            },
          },
        },
        errors: [
          ...ADMIN_ERRORS,
          'INVALID_SESSION_NAME',
          'INVALID_PARAMETER',
          'SESSION_EXISTS',
          'MALFORMED_JSON',
          'BODY_TOO_LARGE',
          'UNSUPPORTED_CONTENT_TYPE',
        ],
      },
      handlers: [
        ...jsonBody(),
        async (req: Request, res: Response) => {
          const body = parseRequest(createSessionFields, req.body);
          const webhook = body.webhook_url && body.webhook_secret ? { url: body.webhook_url, secret: body.webhook_secret } : null;
          const proxy = body.proxy_url ? (ProxyAddress.parse(body.proxy_url) ?? null) : null;
          const created = await sessions.create({ name: body.name, webhook, proxy });
          res.status(201).json({ status: 'success', message: SESSION_MESSAGES.created, data: { name: created.name, api_key: created.apiKey } });
        },
      ],
    },
    {
      method: 'GET',
      path: '/api/sessions',
      description: 'The sessions and the state of each',
      guarded: true,
      doc: {
        tag: TAG,
        details: DETAILS,
        responses: ok('Every session, default first', sessionList, {
          status: 'success',
          message: SESSION_MESSAGES.list,
          data: [{ ...example, name: DEFAULT_SESSION, webhook: 'global', created_at: null }, example],
        }),
        errors: ADMIN_ERRORS,
      },
      handlers: [
        (_req: Request, res: Response) =>
          res.json({ status: 'success', message: SESSION_MESSAGES.list, data: sessions.all().map((r) => summary(r, sessions)) }),
      ],
    },
    {
      method: 'GET',
      path: '/api/sessions/:session',
      description: "One session's status (as GET /api/status has it)",
      guarded: true,
      ownSession: true,
      doc: () => ({ ...botStatusDoc(), tag: TAG, params: sessionParams, errors: ['SESSION_NOT_FOUND', 'FORBIDDEN'] }),
      handlers: [(req: Request, res: Response) => botStatus(accountInfoDeps(runtimeOf(req), shared))(req, res)],
    },
    {
      method: 'DELETE',
      path: '/api/sessions/:session',
      description: 'Delete a session: logs its account out and removes its data',
      guarded: true,
      doc: {
        tag: TAG,
        details: DETAILS,
        params: sessionParams,
        responses: ok('Deleted', deletedSession, { status: 'success', message: SESSION_MESSAGES.deleted, data: { name: 'sales' } }),
        errors: [...ADMIN_ERRORS, 'SESSION_NOT_FOUND', 'DEFAULT_SESSION_PROTECTED', 'SESSION_DELETE_TIMEOUT'],
      },
      handlers: [
        async (req: Request, res: Response) => {
          const { session } = parseRequest(sessionParams, req.params);
          await sessions.remove(session);
          res.json({ status: 'success', message: SESSION_MESSAGES.deleted, data: { name: session } });
        },
      ],
    },
  ];
}
