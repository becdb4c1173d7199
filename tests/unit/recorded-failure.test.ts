/**
 * A failure read back from a record (a routed send's, or an earlier attempt's) is answered as the
 * send itself was: an error ack keeps WhatsApp's code, anything else is a plain SEND_FAILED.
 */
import { describe, expect, test } from '@jest/globals';
import { Errors } from '../../src/errors/app-error.js';
import { recordedFailure } from '../../src/messaging/send-routing.js';
import { describeServerError, SERVER_ERROR_REASONS, serverErrorCodeIn, ServerRejectedError } from '../../src/whatsapp/send-outcome.js';

const asAnswered = (error: { status: number; code: string; message: string; extra: unknown }) => ({
  status: error.status,
  code: error.code,
  message: error.message,
  extra: error.extra,
});

describe('a failure kept on a record', () => {
  test.each([...Object.keys(SERVER_ERROR_REASONS).map(Number), 999])('error ack %i: the same answer as the send that got it', (code) => {
    const ack = new ServerRejectedError('W1', code);
    expect(serverErrorCodeIn(ack.message)).toBe(code);
    expect(asAnswered(recordedFailure(ack.message))).toEqual(asAnswered(Errors.sendRejected(code, describeServerError(code))));
  });

  test.each([
    'connection to WhatsApp lost during the send (1006)',
    'the queued media of message m1 is missing from the shared store',
    'Outbox full: 3 of 3 messages already queued',
  ])('any other failure is a plain SEND_FAILED: %s', (reason) => {
    expect(serverErrorCodeIn(reason)).toBeUndefined();
    expect(asAnswered(recordedFailure(reason))).toEqual(asAnswered(Errors.sendFailed(reason)));
  });

  test('a record without a reason', () => {
    expect(recordedFailure(null).message).toBe('Failed to send message: unknown error');
  });
});
