import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { AppError, Errors } from '../../src/errors/app-error.js';
import { failsWith, parseRequest } from '../../src/http/request-validation.js';

const caught = (run: () => unknown): AppError => {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
};

describe('parseRequest', () => {
  const schema = z.object({
    a: z.string({ error: failsWith(() => Errors.phoneRequired()) }),
    b: z.int({ error: failsWith(() => Errors.rateLimited(5, 60, 7)) }),
  });

  test('answers with the catalogue error the first failing field names, status, code, extras and headers intact', () => {
    const first = caught(() => parseRequest(schema, { b: 'x' }));
    expect([first.status, first.code, first.message]).toEqual([400, 'PHONE_REQUIRED', 'Phone number required']);
    const second = caught(() => parseRequest(schema, { a: 'ok', b: 'x' }));
    expect([second.status, second.code, second.extra, second.headers]).toEqual([429, 'RATE_LIMITED', { limit: 5, window: 60 }, { 'Retry-After': '7' }]);
  });

  test('a body that is not an object counts as one without fields', () => {
    for (const body of [undefined, null, 'text', ['a', 'b'], 5]) expect(caught(() => parseRequest(schema, body)).code).toBe('PHONE_REQUIRED');
  });

  test('a check that names no catalogue error is still a 400 naming the field, never a 500', () => {
    const error = caught(() => parseRequest(z.object({ n: z.string().max(2) }), { n: 'long' }));
    expect([error.status, error.code]).toEqual([400, 'INVALID_PARAMETER']);
    expect(error.message).toMatch(/^Invalid n: /);
  });

  test('returns the parsed fields', () => {
    expect(parseRequest(schema, { a: 'x', b: 3, extra: true })).toEqual({ a: 'x', b: 3 });
  });
});
