/**
 * Request schemas (zod) both validate requests and feed the OpenAPI document. A failed check must
 * still answer with the contract's catalogue error and wording, never zod's: each check names its
 * AppError with `failsWith`, zod carries it through as the issue's message, and `parseRequest`
 * rebuilds that AppError from the first issue. Issues are in field order, so the first field that
 * fails decides the answer, as the hand-written checks did.
 */
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';

const MARK = 'catalogue-error:';

interface CarriedError {
  status: number;
  code: string;
  message: string;
  extra: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The message zod stores for a failed check: the catalogue error, serialised. */
export function carry(error: AppError): string {
  const carried: CarriedError = { status: error.status, code: error.code, message: error.message, extra: error.extra, headers: error.headers };
  return MARK + JSON.stringify(carried);
}

/** zod's `error` option for a schema or check: which catalogue error its failure answers with. */
export function failsWith(error: (issue: { input?: unknown }) => AppError): (issue: { input?: unknown }) => string {
  return (issue) => carry(error(issue));
}

function toAppError(issue: z.core.$ZodIssue): AppError {
  if (issue.message.startsWith(MARK)) {
    const e = JSON.parse(issue.message.slice(MARK.length)) as CarriedError;
    return new AppError(e.status, e.code, e.message, e.extra, e.headers);
  }
  // Every check in our schemas names its error; this covers one that was forgotten.
  const name = issue.path.length > 0 ? issue.path.join('.') : 'request';
  return new AppError(400, 'INVALID_PARAMETER', `Invalid ${name}: ${issue.message}`);
}

/**
 * Parses request fields (a body or a query) with a route's schema. Anything that is not an object
 * counts as no fields at all, so a missing or array body answers like a body without the field.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const fields = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
  const result = withoutStackTraces(() => schema.safeParse(fields));
  if (result.success) return result.data;
  throw toAppError(result.error.issues[0] as z.core.$ZodIssue);
}

/**
 * A rejected request builds several Error objects on the way (zod's error, libphonenumber's
 * ParseError, the AppError a check carries); none of their stack traces is ever read, and
 * capturing them was a visible share of a 400's CPU. Anything that escapes as an exception (a
 * bug, not a rejection) is run again with stack traces on, so it is reported with its stack.
 */
function withoutStackTraces<T>(run: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return run();
  } catch {
    Error.stackTraceLimit = limit;
    return run();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
