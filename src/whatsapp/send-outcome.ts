/**
 * How a send can end short of WhatsApp's server ack, in the port's words (no Baileys here):
 * refused by the server (an error ack, never retried as is), or unknown (no ack in time, or the
 * connection closed first) — then a resend under the same WhatsApp id is safe, because recipients
 * keep one message per (chat, id).
 */

/** WhatsApp's error-ack codes we can explain; any other code is reported with a generic reason. */
export const SERVER_ERROR_REASONS: Readonly<Record<number, string>> = {
  421: 'rejected by WhatsApp: the message stanza was refused as malformed or for a recipient that cannot receive it',
  463: 'account restricted: WhatsApp blocks messages to new contacts for a while (reach-out timelock); established chats still work',
  479: 'rejected by WhatsApp as invalid (smax-invalid): usually a stale device list or session for the recipient',
  487: 'WhatsApp could not parse the message',
  488: 'WhatsApp did not recognise the message stanza',
  491: 'WhatsApp rejected the message content as invalid',
  500: 'WhatsApp had an internal error handling the message',
};

/** The code whose ack restricts the account (reach-out timelock): sends to new contacts pause. */
export const REACHOUT_TIMELOCK_CODE = 463;

export function serverErrorReason(code: number): string {
  return SERVER_ERROR_REASONS[code] ?? 'rejected by WhatsApp';
}

/** The text a record and a webhook keep for an error ack: code first, so clients can match on it. */
export function describeServerError(code: number): string {
  return `WhatsApp error ${code}: ${serverErrorReason(code)}`;
}

/**
 * The error-ack code a record's failure text names (describeServerError's wording), or undefined
 * for any other failure: how a node answering for another (cluster routing) or for an earlier
 * attempt gives the code the send itself would have given.
 */
export function serverErrorCodeIn(reason: string | null | undefined): number | undefined {
  const match = /^WhatsApp error (\d+): /.exec(reason ?? '');
  return match ? Number(match[1]) : undefined;
}

/** WhatsApp's server answered the message with an error ack. Never resend it automatically. */
export class ServerRejectedError extends Error {
  readonly retryable = false;
  constructor(
    readonly messageId: string,
    readonly code: number,
  ) {
    super(describeServerError(code));
    this.name = 'ServerRejectedError';
  }
}

export type UnknownOutcomeCause = 'ack-timeout' | 'connection-closed';

/** The stanza may or may not have reached WhatsApp: no server ack came. A resend under the same id is safe. */
export class SendOutcomeUnknownError extends Error {
  readonly retryable = true;
  constructor(
    readonly messageId: string,
    readonly why: UnknownOutcomeCause,
    timeoutMs?: number,
  ) {
    super(
      why === 'ack-timeout'
        ? `no acknowledgement from WhatsApp's server within ${Math.round((timeoutMs ?? 0) / 100) / 10} s`
        : 'the connection to WhatsApp closed before the server acknowledged the message',
    );
    this.name = 'SendOutcomeUnknownError';
  }
}
