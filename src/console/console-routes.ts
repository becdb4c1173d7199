/**
 * The operator console: GET /console (a static page and its few scripts, read from disk once and
 * served from memory), the login that trades the API key for a session cookie, and a server-sent
 * event stream that tells the page when the connection or a QR changes, so nothing polls.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { RouteSpec } from '../http/route-spec.js';
import type { Config } from '../config/config.js';
import { AppError, Errors } from '../errors/app-error.js';
import { createKeyChecker, type SessionAuthenticator } from '../http/auth.js';
import { weakEtag } from '../http/etag.js';
import { createRateLimiter, type RateLimitCheck } from '../http/rate-limit.js';
import type { ConnectionStatus, WhatsAppTransport } from '../whatsapp/transport.js';
import { parseRequest } from '../http/request-validation.js';
import { DEFAULT_SESSION } from '../sessions/session-name.js';
import { SessionErrors } from '../sessions/session-errors.js';
import { assetDoc, describeSessionDoc, eventsDoc, eventsQuery, loginBody, loginDoc, logoutDoc, pageDoc } from './console-docs.js';
import type { ConsoleSessions } from './console-sessions.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './session-cookie.js';

export interface ConsoleDeps {
  config: Config;
  /** The default session's socket. */
  transport: WhatsAppTransport;
  /** Another session's socket, by name (the event stream of the session picked in the console). */
  transportOf?: (session: string) => ConsoleTransport | undefined;
  sessions: ConsoleSessions;
  /** True once graceful shutdown has begun: open event streams end so the server can close. */
  isShuttingDown: () => boolean;
}

/** What the event stream reads of a session's socket. */
export type ConsoleTransport = Pick<WhatsAppTransport, 'events' | 'status'>;

const ASSET_DIR = fileURLToPath(new URL('./assets/', import.meta.url));
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
// No inline script or style anywhere: the page runs only the gateway's own files.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Login attempts per client IP per 15 minutes (the API's own limit still applies to the API). */
const LOGIN_ATTEMPTS = 20;
const KEEP_ALIVE_SECONDS = 20;

const assetNotFound = () => new AppError(404, 'NOT_FOUND', 'Console file not found');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(ASSET_DIR)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(ASSET_DIR, name));
    assets.set(name, { body, type, etag: weakEtag(body) });
  }
  return assets;
}

function sendAsset(res: Response, asset: Asset): void {
  // Revalidated each time (res.send answers 304 to a matching If-None-Match): an upgraded gateway
  // never serves a stale script.
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', asset.etag);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.type(asset.type).send(asset.body);
}

/** The console's cookie as the API-key middleware sees it. */
export function consoleSessionAuthenticator(sessions: ConsoleSessions): SessionAuthenticator {
  return (req) => sessions.check(readSessionCookie(req), req.method, req.get('x-csrf-token'));
}

/**
 * The API's per-IP rate limit guards against key guessing and runaway clients; a request that
 * carries a live console session has already proven the key, and a console page left open must
 * not run its operator into 429s.
 */
export function skipLimitForConsoleSession(sessions: ConsoleSessions, limit: RateLimitCheck): RateLimitCheck {
  return (req, res) => (sessions.find(readSessionCookie(req)) ? undefined : limit(req, res));
}

function connectionSummary(s: ConnectionStatus) {
  return { connected: s.connected, state: s.phase, account: s.account ?? null, next_retry_at: s.nextRetryAt ?? null };
}

export function consoleRoutes(deps: ConsoleDeps): RouteSpec[] {
  const { config, sessions } = deps;
  const transportOf = (session: string | undefined): ConsoleTransport => {
    if (session === undefined || session === DEFAULT_SESSION) return deps.transport;
    const found = deps.transportOf?.(session);
    if (!found) throw SessionErrors.notFound();
    return found;
  };
  const assets = loadAssets();
  const authRequired = config.apiKeys.length > 0;
  const isKey = createKeyChecker(config.apiKeys);
  const loginLimiter = createRateLimiter({ enabled: config.rateLimit.enabled, max: LOGIN_ATTEMPTS, windowSeconds: 15 * 60 });

  const page = (_req: Request, res: Response) => {
    const index = assets.get('index.html');
    if (!index) throw assetNotFound();
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    sendAsset(res, index);
  };

  const asset = (req: Request, res: Response) => {
    const found = assets.get(String(req.params.name));
    if (!found) throw assetNotFound();
    sendAsset(res, found);
  };

  const describeSession = (req: Request, res: Response) => {
    const session = sessions.find(readSessionCookie(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      status: 'success',
      data: {
        auth_required: authRequired,
        authenticated: !authRequired || session !== undefined,
        // Readable only by a same-origin page: the cookie is SameSite=Strict and there is no CORS.
        csrf_token: session?.csrfToken ?? null,
        expires_at: session ? new Date(session.expiresAt).toISOString() : null,
        sandbox: config.sandbox,
      },
    });
  };

  const login = (req: Request, res: Response) => {
    if (!authRequired) {
      res.json({ status: 'success', message: 'No API key is configured: the console is open to anyone', data: { auth_required: false } });
      return;
    }
    const { api_key: key } = parseRequest(loginBody, req.body ?? {});
    if (!isKey(key)) throw Errors.unauthorized();
    // A login replaces the session this browser had, if any.
    sessions.destroy(readSessionCookie(req));
    const { id, session } = sessions.create();
    setSessionCookie(req, res, id, sessions.ttlSeconds);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      status: 'success',
      message: 'Logged in to the console',
      data: { csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString() },
    });
  };

  const logout = (req: Request, res: Response) => {
    const id = readSessionCookie(req);
    // Without the token a cross-site page could log the operator out; harmless, but refused alike.
    if (sessions.check(id, req.method, req.get('x-csrf-token')) === 'csrf-refused') throw Errors.csrfRefused();
    sessions.destroy(id);
    clearSessionCookie(req, res);
    res.json({ status: 'success', message: 'Logged out of the console' });
  };

  const events = (req: Request, res: Response) => {
    // Only an event-stream reader gets the never-ending response; anything else would hang on it.
    if (!req.get('accept')?.includes('text/event-stream')) {
      throw new AppError(406, 'NOT_ACCEPTABLE', 'This endpoint streams server-sent events: send Accept: text/event-stream');
    }
    // The session the console has picked; default's when none is named.
    const transport = transportOf(parseRequest(eventsQuery, req.query).session);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 3000\n\n');
    send('connection', connectionSummary(transport.status()));
    // The QR itself is not sent: the page loads the image from GET /api/qr when told it changed.
    const onConnection = (s: ConnectionStatus) => send('connection', connectionSummary(s));
    const onQr = () => send('qr', { at: new Date().toISOString() });
    const onMessageStatus = (u: { messageId: string; status: string }) => send('message-status', { message_id: u.messageId, status: u.status });
    transport.events.on('connection', onConnection);
    transport.events.on('qr', onQr);
    transport.events.on('message-status', onMessageStatus);
    let seconds = 0;
    const ticker = setInterval(() => {
      // A stream left open would hold a graceful shutdown for its whole timeout.
      if (deps.isShuttingDown()) return res.end();
      if (++seconds % KEEP_ALIVE_SECONDS === 0) res.write(': keep-alive\n\n');
    }, 1000);
    req.on('close', () => {
      clearInterval(ticker);
      transport.events.off('connection', onConnection);
      transport.events.off('qr', onQr);
      transport.events.off('message-status', onMessageStatus);
    });
  };

  return [
    { method: 'GET', path: '/console', description: 'Operator console (web page)', guarded: false, doc: pageDoc, handlers: [page] },
    { method: 'GET', path: '/console/assets/:name', description: 'Operator console: scripts and styles', guarded: false, doc: assetDoc, handlers: [asset] },
    {
      method: 'GET',
      path: '/console/session',
      description: 'Operator console: whether this browser is logged in',
      guarded: false,
      doc: describeSessionDoc,
      handlers: [describeSession],
    },
    {
      method: 'POST',
      path: '/console/session',
      description: 'Operator console: log in with the API key (sets an HttpOnly session cookie)',
      guarded: false,
      doc: loginDoc,
      handlers: [loginLimiter, express.json({ limit: '4kb' }), login],
    },
    { method: 'DELETE', path: '/console/session', description: 'Operator console: log out', guarded: false, doc: logoutDoc, handlers: [logout] },
    {
      method: 'GET',
      path: '/console/events',
      description: 'Operator console: live connection and QR events of one session (server-sent events)',
      guarded: true,
      doc: eventsDoc,
      handlers: [events],
    },
  ];
}
