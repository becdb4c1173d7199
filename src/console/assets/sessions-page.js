// Sessions: every linked (or linkable) WhatsApp account this gateway serves, creating one (its API
// key shown once, then gone from the page) and deleting one after a confirmation.
import { call, messageOf, post } from './api.js';
import { $, el, phoneOfJid, when } from './dom.js';
import { DEFAULT_SESSION, currentSession, pickSession, refreshSessions } from './sessions.js';

let toDelete = null;

function row(s) {
  const remove =
    s.name === DEFAULT_SESSION
      ? el('span', { class: 'muted' }, 'cannot be deleted')
      : el('button', { type: 'button', class: 'quiet', 'data-delete': s.name, onclick: () => confirmDelete(s.name) }, 'Delete…');
  const open = el('button', { type: 'button', class: 'quiet', 'data-open': s.name, onclick: () => openSession(s.name) }, 'Open');
  return el(
    'tr',
    { 'data-name': s.name, class: s.name === currentSession() ? 'current' : '' },
    el('td', {}, el('strong', {}, s.name)),
    el('td', {}, s.connected ? 'linked' : s.state),
    el('td', {}, s.account?.jid ? `+${phoneOfJid(s.account.jid)}` : '—'),
    el('td', {}, s.webhook),
    el('td', {}, when(s.created_at)),
    el('td', { class: 'actions' }, open, ' ', remove),
  );
}

async function load() {
  const sessions = await refreshSessions();
  if (sessions === null) return; // a later load draws the table
  $('#sessions-error').textContent = sessions.length ? '' : 'The sessions could not be read.';
  $('#sessions-rows').replaceChildren(...sessions.map(row));
}

function openSession(name) {
  pickSession(name);
  location.hash = '#/link';
}

async function create(event) {
  event.preventDefault();
  const form = $('#session-create');
  const data = new FormData(form);
  const body = { name: String(data.get('name')).trim() };
  if (data.get('webhook_url')) body.webhook_url = data.get('webhook_url');
  if (data.get('webhook_secret')) body.webhook_secret = data.get('webhook_secret');
  const result = await post('/api/sessions', body);
  $('#session-create-result').textContent = result.ok ? `${result.body.message}.` : messageOf(result);
  $('#session-create-result').classList.toggle('error', !result.ok);
  if (!result.ok) return;
  form.reset();
  // Shown this once: the gateway keeps only a hash of it.
  $('#session-created-key').textContent = result.body.data.api_key;
  $('#session-created').hidden = false;
  await load();
}

function confirmDelete(name) {
  toDelete = name;
  $('#session-delete-name').textContent = name;
  const dialog = $('#session-delete-dialog');
  dialog.returnValue = ''; // Escape closes without setting one: that must not read as the last confirm
  dialog.showModal();
}

async function remove(event) {
  const name = toDelete;
  toDelete = null;
  if (event.target.returnValue !== 'confirm' || !name) return;
  const result = await call('DELETE', `/api/sessions/${encodeURIComponent(name)}`);
  $('#session-create-result').textContent = result.ok ? `${result.body.message}: ${name}.` : messageOf(result);
  $('#session-create-result').classList.toggle('error', !result.ok);
  await load();
}

export function initSessionsPage() {
  $('#session-create').addEventListener('submit', (event) => void create(event));
  $('#session-delete-dialog').addEventListener('close', (event) => void remove(event));
}

export function showSessionsPage(isVisible) {
  if (isVisible) {
    void load();
    return;
  }
  // A new session's key leaves the page with the operator.
  $('#session-created-key').textContent = '';
  $('#session-created').hidden = true;
}
