// Server-sent events from /console/events: the connection state and "a new QR is ready" of the
// session picked in the console. Pages listen on `live` instead of polling.
import { DEFAULT_SESSION, currentSession } from './sessions.js';

export const live = new EventTarget();

let source = null;
let retry = null;

export function startLive() {
  stopLive();
  const session = currentSession();
  source = new EventSource(session === DEFAULT_SESSION ? '/console/events' : `/console/events?session=${encodeURIComponent(session)}`);
  for (const type of ['connection', 'qr', 'message-status']) {
    source.addEventListener(type, (event) => live.dispatchEvent(new CustomEvent(type, { detail: JSON.parse(event.data) })));
  }
  source.addEventListener('error', () => {
    // The browser retries a dropped stream by itself; a refused one (401, restart) is closed for good.
    if (source?.readyState === EventSource.CLOSED) retry = setTimeout(startLive, 5000);
  });
}

export function stopLive() {
  clearTimeout(retry);
  source?.close();
  source = null;
}
