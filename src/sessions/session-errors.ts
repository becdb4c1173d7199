/** The errors of session management and of routes under /api/sessions/:session. */
import { AppError } from '../errors/app-error.js';

export const SessionErrors = {
  notFound: () => new AppError(404, 'SESSION_NOT_FOUND', 'Session not found'),
  exists: (name: string) => new AppError(409, 'SESSION_EXISTS', `Session "${name}" already exists`),
  invalidName: () => new AppError(400, 'INVALID_SESSION_NAME', 'Invalid session name: use 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit'),
  defaultProtected: () => new AppError(409, 'DEFAULT_SESSION_PROTECTED', 'The default session cannot be deleted; POST /api/logout unlinks its account'),
  /** Cluster mode: the node driving the session did not free its lease in time; nothing was deleted. */
  deleteTimedOut: (name: string) =>
    new AppError(503, 'SESSION_DELETE_TIMEOUT', `Session "${name}" was not deleted: the node driving it did not hand it over in time; try again`),
  forbidden: () => new AppError(403, 'FORBIDDEN', 'Forbidden: key not valid for this session'),
  adminOnly: () => new AppError(403, 'ADMIN_KEY_REQUIRED', 'Forbidden: this needs an admin key (API_KEY)'),
};
