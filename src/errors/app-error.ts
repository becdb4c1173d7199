/**
 * Every error the API answers with is built here, so status, stable code and the v2.0.0 wording
 * live in one place. The error middleware renders them as
 * {"status":"error","message","timestamp","code", ...extra}.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra body fields (e.g. `limit`/`window` on 429). */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    // A client's mistake (4xx) is answered, never logged with a trace, and clients can send as many
    // as they like: capturing a stack for each is wasted work. Server-side errors keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'AppError';
  }
}

export const Errors = {
  phoneRequired: () => new AppError(400, 'PHONE_REQUIRED', 'Phone number required'),
  invalidPhone: () => new AppError(400, 'INVALID_PHONE', 'Invalid phone number'),
  messageRequired: () => new AppError(400, 'MESSAGE_REQUIRED', 'Message required'),
  messageNotText: () => new AppError(400, 'INVALID_MESSAGE', 'Message must be a string'),
  messageTooLong: (max: number) => new AppError(400, 'MESSAGE_TOO_LONG', `Message too long (maximum ${max} characters)`),
  fileRequired: () => new AppError(400, 'FILE_REQUIRED', 'File required'),
  invalidFileType: (allowed: readonly string[]) => new AppError(400, 'INVALID_FILE_TYPE', `Invalid file type. Allowed: ${JSON.stringify(allowed)}`),
  fileContentMismatch: (extension: string, detected: string | undefined) =>
    new AppError(400, 'FILE_CONTENT_MISMATCH', `File content does not match its .${extension} extension` + (detected ? ` (looks like ${detected})` : '')),
  unexpectedFileField: (field: string) => new AppError(400, 'UNEXPECTED_FILE_FIELD', `Unexpected file field "${field}": send one file in the "file" field`),
  tooManyFiles: () => new AppError(400, 'TOO_MANY_FILES', 'Only one file may be sent (field "file")'),
  unexpectedFile: () => new AppError(400, 'UNEXPECTED_FILE_FIELD', 'Unexpected file: this endpoint takes form fields only'),
  /** Nobody reads it (the client has gone); it keeps an abort out of the 500s and error logs. */
  clientAborted: () => new AppError(400, 'CLIENT_ABORTED', 'The request was aborted before its body was complete'),
  fileTooLarge: (kindLabel: string, limit: string) =>
    new AppError(413, 'FILE_TOO_LARGE', `File too large. Maximum size for ${kindLabel} is ${limit}`, { max_size: limit }),
  // Media given as a JSON `url` or `base64` instead of a multipart file (src/media-source/).
  mediaFetchFailed: (reason: string) => new AppError(400, 'MEDIA_FETCH_FAILED', `Could not fetch media: ${reason}`),
  mediaSourceConflict: () => new AppError(400, 'MEDIA_SOURCE_CONFLICT', 'Send the media once: either "url" or "base64", not both'),
  filenameRequired: () => new AppError(400, 'FILENAME_REQUIRED', '"filename" required with "base64" (e.g. "photo.jpg")'),
  invalidBase64: (detail: string) => new AppError(400, 'INVALID_BASE64', `Invalid "base64": ${detail}`),
  malformedMultipart: (detail: string) => new AppError(400, 'MALFORMED_MULTIPART', `Malformed multipart body: ${detail}`),
  tooManyFields: () => new AppError(400, 'TOO_MANY_FIELDS', 'Too many form fields or field too long'),
  malformedJson: () => new AppError(400, 'MALFORMED_JSON', 'Malformed JSON in request body'),
  bodyTooLarge: (limit: string) => new AppError(413, 'BODY_TOO_LARGE', `Request body too large (maximum ${limit})`),
  // 400, not 415: the contract answers every bad request with 400.
  unsupportedContentType: (expected: string) => new AppError(400, 'UNSUPPORTED_CONTENT_TYPE', `Unsupported Content-Type: expected ${expected}`),
  invalidParameter: (name: string, expected: string) => new AppError(400, 'INVALID_PARAMETER', `Invalid ${name}: expected ${expected}`),
  // POST /api/check-number: the batch of numbers, and WhatsApp's lookup.
  phonesRequired: (max: number) => new AppError(400, 'PHONES_REQUIRED', `Phone numbers required: "phones", an array of 1 to ${max} numbers`),
  tooManyPhones: (max: number) => new AppError(400, 'TOO_MANY_PHONES', `Too many phone numbers (maximum ${max} per request)`),
  numberCheckFailed: (reason: string) => new AppError(502, 'NUMBER_CHECK_FAILED', `Could not check the numbers with WhatsApp: ${reason}`),
  // Requests Node's HTTP parser refuses before Express sees them (src/http/client-errors.ts).
  malformedRequest: (detail: string) => new AppError(400, 'MALFORMED_REQUEST', `Malformed HTTP request: ${detail}`),
  headersTooLarge: (limit: string) => new AppError(431, 'HEADERS_TOO_LARGE', `Request line or headers too large (maximum ${limit})`),
  expectationFailed: (expect: string) =>
    new AppError(417, 'EXPECTATION_FAILED', `Unsupported Expect header: ${JSON.stringify(expect)} (only 100-continue is supported)`),
  requestTimeout: () => new AppError(408, 'REQUEST_TIMEOUT', 'Request not received in time'),
  unauthorized: () => new AppError(401, 'UNAUTHORIZED', 'Unauthorized: Invalid or missing API key'),
  /** A console (cookie) request that changes state without its session's CSRF token. */
  csrfRefused: () => new AppError(403, 'CSRF_TOKEN_INVALID', 'Forbidden: missing or invalid CSRF token'),
  notFound: () => new AppError(404, 'NOT_FOUND', 'Endpoint not found'),
  rateLimited: (limit: number, windowSeconds: number, retryAfterSeconds: number) =>
    new AppError(
      429,
      'RATE_LIMITED',
      'Too many requests. Please try again later.',
      { limit, window: windowSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  sendFailed: (reason: string) => new AppError(500, 'SEND_FAILED', `Failed to send message: ${reason}`),
  /** WhatsApp's server refused the message (error ack): the code is WhatsApp's. */
  sendRejected: (waErrorCode: number, reason: string) => new AppError(500, 'SEND_FAILED', `Failed to send message: ${reason}`, { wa_error_code: waErrorCode }),
  sendOutcomeUnknown: (reason: string, ids: { id: string; messageId: string }) =>
    new AppError(
      504,
      'SEND_OUTCOME_UNKNOWN',
      `Send outcome unknown: ${reason}. The message may or may not have reached WhatsApp; retrying with the same Idempotency-Key is safe (it goes out again under the same message id, which recipients show once)`,
      { id: ids.id, message_id: ids.messageId },
      { 'Retry-After': '5' },
    ),
  accountRestricted: (waErrorCode: number, reason: string, until: string, retryAfterSeconds: number) =>
    new AppError(
      503,
      'ACCOUNT_RESTRICTED',
      `Account restricted by WhatsApp until ${until}: messages to new contacts are paused (${reason})`,
      { restricted_until: until, wa_error_code: waErrorCode },
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  notConnected: () => new AppError(503, 'BOT_NOT_CONNECTED', 'Bot not connected', {}, { 'Retry-After': '5' }),
  connectionStopped: (phase: string) =>
    new AppError(
      503,
      'CONNECTION_STOPPED',
      phase === 'replaced'
        ? 'WhatsApp connection stopped: this account was opened by another client; close it and restart the gateway to link again'
        : 'WhatsApp connection stopped; restart the gateway to connect again',
    ),
  /** `reason` says what the connection is doing; Retry-After is when asking again can help. */
  qrNotAvailable: (reason: string, retryAfterSeconds: number, message = 'QR code not available yet', extra: Record<string, unknown> = {}) =>
    new AppError(503, 'QR_NOT_AVAILABLE', message, { reason, ...extra }, { 'Retry-After': String(retryAfterSeconds) }),
  alreadyConnected: () => new AppError(409, 'ALREADY_CONNECTED', 'Bot already connected'),
  alreadyLinked: () => new AppError(409, 'ALREADY_LINKED', 'Bot already linked to a WhatsApp account and reconnecting; POST /api/logout first to link again'),
  /** WhatsApp answered the pairing code request with an error (e.g. 400 bad-request, 429 rate-overlimit). */
  pairingCodeRefused: (code: number, text: string) =>
    new AppError(502, 'PAIRING_CODE_REFUSED', `WhatsApp refused the pairing code request: ${text} (${code})`, { whatsapp_error: { code, text } }),
  /** Sandbox only: the emulated phone could not link (a wrong code, no QR or code to act on). */
  sandboxLinkFailed: (reason: string) => new AppError(400, 'SANDBOX_LINK_FAILED', `The emulated phone could not link: ${reason}`),
  pairingCodeNoAnswer: (reason: string) => new AppError(504, 'PAIRING_CODE_NO_ANSWER', `WhatsApp did not answer the pairing code request: ${reason}`),
  // Groups (src/groups/, src/whatsapp/baileys/baileys-groups.ts).
  invalidGroupId: () => new AppError(400, 'INVALID_GROUP_ID', 'Invalid group id: expected 120363012345678901@g.us or its digits'),
  subjectRequired: () => new AppError(400, 'SUBJECT_REQUIRED', 'Subject required'),
  participantsRequired: () => new AppError(400, 'PARTICIPANTS_REQUIRED', 'Participants required: an array of phone numbers'),
  groupNotFound: () => new AppError(404, 'GROUP_NOT_FOUND', 'Group not found'),
  groupAdminRequired: () => new AppError(403, 'GROUP_ADMIN_REQUIRED', 'Forbidden: the account is not an admin of this group'),
  /** WhatsApp answered a group request with an error the gateway has no better word for (e.g. 409 conflict). */
  groupRequestRefused: (code: number, text: string) =>
    new AppError(502, 'GROUP_REQUEST_REFUSED', `WhatsApp refused the group request: ${text} (${code})`, { whatsapp_error: { code, text } }),
  groupRequestNoAnswer: (reason: string) => new AppError(504, 'GROUP_REQUEST_NO_ANSWER', `WhatsApp did not answer the group request: ${reason}`),
  // Addressing and send options (src/http/addressing.ts, src/messaging/reply-context.ts).
  recipientConflict: () => new AppError(400, 'RECIPIENT_CONFLICT', 'Send to either "phone" or "group", not both'),
  invalidReplyTo: () => new AppError(400, 'INVALID_REPLY_TO', 'Invalid reply_to: expected a WhatsApp message id'),
  invalidMentions: (detail: string) => new AppError(400, 'INVALID_MENTIONS', `Invalid mentions: ${detail}`),
  messageNotFound: () => new AppError(404, 'MESSAGE_NOT_FOUND', 'Message not found'),
  /** An option of every send that a kind cannot carry (a reaction shows no quote and no mention). */
  optionNotSupported: (option: string, reason: string) => new AppError(400, 'OPTION_NOT_SUPPORTED', `Option not supported: "${option}" (${reason})`),
  // Location, contact cards, reactions and polls (src/kinds/).
  locationRequired: () => new AppError(400, 'LOCATION_REQUIRED', 'Latitude and longitude required'),
  invalidLocation: (detail: string) => new AppError(400, 'INVALID_LOCATION', `Invalid location: ${detail}`),
  contactsRequired: (max: number) => new AppError(400, 'CONTACTS_REQUIRED', `Contacts required: "contacts", an array of 1 to ${max} {name, phone}`),
  invalidContact: (detail: string) => new AppError(400, 'INVALID_CONTACT', `Invalid contact: ${detail}`),
  messageIdRequired: () => new AppError(400, 'MESSAGE_ID_REQUIRED', 'Message id required: "message_id" of the message reacted to'),
  invalidEmoji: () => new AppError(400, 'INVALID_EMOJI', 'Invalid emoji: send exactly one emoji, or "" to remove the reaction'),
  questionRequired: () => new AppError(400, 'QUESTION_REQUIRED', 'Question required'),
  invalidPoll: (detail: string) => new AppError(400, 'INVALID_POLL', `Invalid poll: ${detail}`),
  shuttingDown: () => new AppError(503, 'SHUTTING_DOWN', 'Server is shutting down', {}, { Connection: 'close' }),
  internal: () => new AppError(500, 'INTERNAL_ERROR', 'Internal server error'),
  /** Cluster mode: the shared database could not be reached; nothing was written. */
  storeUnavailable: () =>
    new AppError(503, 'STORE_UNAVAILABLE', 'Shared database unreachable; nothing was done, try again shortly', {}, { 'Retry-After': '5' }),
} as const;
