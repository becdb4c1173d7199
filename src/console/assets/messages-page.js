// Messages: the message log with filters, each record's status timeline, and incoming messages
// (as delivered to the webhooks: the gateway keeps no other log of what it received).
import { get, messageOf, newestOnly } from './api.js';
import { $, badge, el, when } from './dom.js';
import { live } from './live.js';
import { inSession } from './sessions.js';

const STEPS = ['queued', 'sent', 'delivered', 'read', 'failed'];
let visible = false;
let nextCursor = null;
let refreshTimer = null;

function query(cursor) {
  const form = new FormData($('#messages-filter'));
  const params = new URLSearchParams({ limit: '50' });
  for (const name of ['status', 'type', 'phone']) if (form.get(name)) params.set(name, form.get(name));
  // Dates are the operator's local days: "to" includes the whole day.
  if (form.get('from')) params.set('from', new Date(`${form.get('from')}T00:00:00`).toISOString());
  if (form.get('to')) params.set('to', new Date(new Date(`${form.get('to')}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (cursor) params.set('cursor', cursor);
  return params;
}

function row(m) {
  return el(
    'tr',
    { class: 'clickable', 'data-id': m.id, onclick: () => void showDetail(m.id) },
    el('td', {}, when(m.created_at)),
    el('td', {}, m.phone),
    el('td', {}, m.type),
    el('td', { class: 'summary' }, m.summary ?? m.filename ?? ''),
    el('td', {}, badge(m.status)),
  );
}

const getMessages = newestOnly();
const getIncoming = newestOnly();

async function load(append = false) {
  const result = await getMessages(`${inSession('/api/messages')}?${query(append ? nextCursor : null)}`);
  if (!result) return;
  $('#messages-error').textContent = result.ok ? '' : messageOf(result);
  if (!result.ok) return;
  const rows = result.body.data.map(row);
  if (append) $('#messages-rows').append(...rows);
  else $('#messages-rows').replaceChildren(...rows);
  nextCursor = result.body.next_cursor;
  $('#messages-more').hidden = !nextCursor;
  $('#messages-total').textContent = `${result.body.total} message${result.body.total === 1 ? '' : 's'}`;
}

async function showDetail(id) {
  const detail = $('#message-detail');
  const result = await get(inSession(`/api/messages/${encodeURIComponent(id)}`));
  if (!result.ok) {
    detail.replaceChildren(el('p', { class: 'error' }, messageOf(result)));
    detail.hidden = false;
    return;
  }
  const m = result.body.data;
  const steps = STEPS.filter((step) => m.status_timestamps[step]).map((step) =>
    el('li', { class: `step ${step}` }, badge(step), ' ', when(m.status_timestamps[step])),
  );
  const parts = [
    el('h2', {}, `Message ${m.id}`),
    el('p', {}, `${m.type} to +${m.phone}`, m.message_id ? ` · WhatsApp id ${m.message_id}` : ''),
    m.summary && el('blockquote', {}, m.summary),
    el('ol', { class: 'timeline', id: 'message-timeline' }, steps),
    m.error && el('p', { class: 'error' }, m.error),
  ];
  detail.replaceChildren(...parts.filter(Boolean));
  detail.hidden = false;
}

/** WhatsApp's message kinds (conversation, imageMessage, …) in the words the rest of the page uses. */
function incomingKind(type) {
  return ['conversation', 'extendedTextMessage'].includes(type) ? 'text' : String(type).replace(/Message$/, '');
}

async function loadIncoming() {
  const result = await getIncoming(`${inSession('/api/webhooks/deliveries')}?event=message.incoming&limit=50`);
  if (!result) return;
  const table = $('#incoming-table');
  if (!result.ok) {
    table.hidden = true;
    $('#incoming-note').textContent =
      result.status === 404 ? 'Incoming messages go to your webhooks: set WEBHOOK_URL to see them here too.' : messageOf(result);
    return;
  }
  const seen = new Set();
  const events = result.body.data
    .filter((d) => !seen.has(d.eventId) && seen.add(d.eventId))
    .map((d) => JSON.parse(d.payload));
  $('#incoming-note').textContent = events.length ? 'As delivered to the webhooks.' : 'Nothing received yet.';
  table.hidden = events.length === 0;
  $('#incoming-rows').replaceChildren(
    ...events.map((e) =>
      el(
        'tr',
        {},
        el('td', {}, when(e.data.sent_at ?? e.timestamp)),
        el('td', {}, e.data.from_phone ? `+${e.data.from_phone}` : e.data.from_jid, e.data.push_name ? ` (${e.data.push_name})` : ''),
        el('td', {}, incomingKind(e.data.type)),
        el('td', { class: 'summary' }, e.data.text ?? e.data.media?.caption ?? e.data.media?.file_name ?? ''),
      ),
    ),
  );
}

export function initMessagesPage() {
  $('#messages-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  $('#messages-more').addEventListener('click', () => void load(true));
  live.addEventListener('message-status', () => {
    if (!visible) return;
    // Receipts come in bursts (sent, delivered, read): one reload for the lot.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void load(), 300);
  });
}

export function showMessagesPage(isVisible) {
  visible = isVisible;
  if (!visible) return;
  // The detail belongs to the list it was opened from (another session's, maybe).
  $('#message-detail').hidden = true;
  void load();
  void loadIncoming();
}
