// The session (linked WhatsApp account) the console works on. Every page asks `inSession` for its
// API paths: default's are the v2.0.0 paths, another session's live under /api/sessions/<name>/.
// The choice stays in this page's memory only (no browser storage); a reload starts on default.
import { newestOnly } from './api.js';
import { $, el } from './dom.js';

export const DEFAULT_SESSION = 'default';

/** Fires 'change' when the operator picks another session. */
export const sessionChoice = new EventTarget();

let current = DEFAULT_SESSION;

export const currentSession = () => current;

/** `/api/status` → `/api/sessions/sales/status` while `sales` is picked; unchanged for default. */
export function inSession(path) {
  return current === DEFAULT_SESSION ? path : path.replace(/^\/api\//, `/api/sessions/${encodeURIComponent(current)}/`);
}

export function pickSession(name) {
  if (name === current) return;
  current = name;
  const picker = $('#session-picker');
  if (picker.value !== name) picker.value = name;
  sessionChoice.dispatchEvent(new Event('change'));
}

const getSessions = newestOnly();

/**
 * Fills the picker from GET /api/sessions; returns the list (empty when it could not be read), or
 * null when a later refresh began meanwhile: that one fills it, so an older list (without a session
 * just created) never replaces a newer one.
 */
export async function refreshSessions() {
  const result = await getSessions('/api/sessions');
  if (result === null) return null;
  if (!result.ok) return []; // the picker keeps what it had: a failed look is no reason to switch
  const sessions = result.body.data;
  const picker = $('#session-picker');
  picker.replaceChildren(
    ...sessions.map((s) => el('option', { value: s.name }, s.name === DEFAULT_SESSION ? 'default' : s.name, s.connected ? '' : ' (not linked)')),
  );
  // The picker is worth showing once there is something to pick.
  $('#session-picker-label').hidden = sessions.length < 2;
  // A session deleted meanwhile (here or elsewhere): back to default.
  if (!sessions.some((s) => s.name === current)) pickSession(DEFAULT_SESSION);
  picker.value = current;
  return sessions;
}

/** After logging out: the next login starts on default, without telling the pages. */
export function forgetSession() {
  current = DEFAULT_SESSION;
}

export function initSessionPicker() {
  const picker = $('#session-picker');
  picker.addEventListener('change', () => pickSession(picker.value));
}
