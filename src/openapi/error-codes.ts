/**
 * Every error code a client can see, with its HTTP status: the catalogue in src/errors/app-error.ts,
 * media preparation's codes (src/media/errors.ts, as the sender answers them) and the few raised
 * where they happen (records, idempotency, outbox). Routes list the codes they answer with, and the
 * OpenAPI document groups them by status. tests/unit/error-codes.test.ts holds this to the catalogue.
 */
export const ERROR_CODES = {
  PHONE_REQUIRED: 400,
  INVALID_PHONE: 400,
  MESSAGE_REQUIRED: 400,
  INVALID_MESSAGE: 400,
  MESSAGE_TOO_LONG: 400,
  FILE_REQUIRED: 400,
  INVALID_FILE_TYPE: 400,
  FILE_CONTENT_MISMATCH: 400,
  UNEXPECTED_FILE_FIELD: 400,
  MALFORMED_MULTIPART: 400,
  TOO_MANY_FIELDS: 400,
  MALFORMED_JSON: 400,
  UNSUPPORTED_CONTENT_TYPE: 400,
  INVALID_PARAMETER: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  MEDIA_UNDECODABLE: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  FILE_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  MEDIA_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SEND_FAILED: 500,
  INTERNAL_ERROR: 500,
  CONVERSION_UNAVAILABLE: 500,
  CONVERSION_FAILED: 500,
  MEDIA_TIMEOUT: 500,
  MEDIA_DOWNLOAD_FAILED: 502,
  BOT_NOT_CONNECTED: 503,
  CONNECTION_STOPPED: 503,
  QR_NOT_AVAILABLE: 503,
  SHUTTING_DOWN: 503,
  OUTBOX_FULL: 503,
  MEDIA_BUSY: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;
