/**
 * The console's session cookie: HttpOnly (page scripts never see it), SameSite=Strict (never sent
 * with a cross-site request), Secure when the request came over HTTPS (req.secure honours
 * TRUST_PROXY, so X-Forwarded-Proto from a trusted proxy counts), Path=/ so it reaches /api/*.
 */
import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'wa_console_session';

/** The session id from the Cookie header, if there is one. */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function attributes(req: Request, maxAgeSeconds: number): string {
  return ['Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(req.secure ? ['Secure'] : [])].join('; ');
}

export function setSessionCookie(req: Request, res: Response, id: string, maxAgeSeconds: number): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=${id}; ${attributes(req, maxAgeSeconds)}`);
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=; ${attributes(req, 0)}`);
}
