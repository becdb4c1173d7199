/**
 * `curl -d '{"phone":…}'` without `-H 'Content-Type: application/json'` labels a JSON body as
 * application/x-www-form-urlencoded. Parsed as a form it is one nonsense key, and the client
 * would be told "Phone number required" about a body that has a phone. A form body that is a
 * single JSON object is read as that object instead; one that starts like JSON but does not
 * parse is called malformed JSON, naming the Content-Type it came with.
 */
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError, Errors } from '../errors/app-error.js';

const jsonInForm = new WeakMap<IncomingMessage, unknown>();
const MALFORMED = Symbol('malformed JSON');

/** The raw form body, before it is parsed as a form: JSON-looking bodies are set aside. */
function noteJson(req: IncomingMessage, _res: unknown, raw: Buffer): void {
  const text = raw.toString('utf8').trim();
  if (!text.startsWith('{')) return;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) jsonInForm.set(req, value);
  } catch {
    jsonInForm.set(req, MALFORMED);
  }
}

export function formOrJsonBody(limit: string): RequestHandler[] {
  const form = express.urlencoded({ extended: false, limit, verify: noteJson });
  const adopt = (req: Request, _res: Response, next: NextFunction): void => {
    if (!jsonInForm.has(req)) return next();
    const value = jsonInForm.get(req);
    jsonInForm.delete(req);
    if (value === MALFORMED) {
      const error = Errors.malformedJson();
      return next(
        new AppError(
          error.status,
          error.code,
          `${error.message} (it was sent as application/x-www-form-urlencoded; send JSON with Content-Type: application/json)`,
        ),
      );
    }
    req.body = value;
    next();
  };
  return [form, adopt];
}
