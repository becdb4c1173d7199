// Calls to the gateway's API with the session cookie. The CSRF token lives only in this module's
// memory (never in storage); every state-changing call carries it in a header.
let csrfToken = null;

/** Fires 'unauthorized' when the session is gone (expired, logged out elsewhere, gateway restarted). */
export const sessionEvents = new EventTarget();

export function setCsrfToken(token) {
  csrfToken = token;
}

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  // An error page or an empty body is not JSON: the caller gets null and the HTTP status.
  const data = await res.json().catch(() => null);
  if (res.status === 401 && !path.startsWith('/console/session')) sessionEvents.dispatchEvent(new Event('unauthorized'));
  return { status: res.status, ok: res.ok, body: data };
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

/** The error text of a failed call, as the API words it. */
export function messageOf(result) {
  return result.body?.message ?? `HTTP ${result.status}`;
}

/**
 * A list's loads can be answered out of order: the page's first load is still in flight when the
 * operator submits a filter. The returned function resolves to the answer only if no later load
 * started meanwhile, else to null, so an older answer never replaces a newer one on screen.
 */
export function newestOnly() {
  let latest = 0;
  return async (path) => {
    const ticket = ++latest;
    const result = await get(path);
    return ticket === latest ? result : null;
  };
}
