// Webhooks: the delivery log (attempts, receiver's answers) with a replay button per delivery.
import { messageOf, newestOnly, post } from './api.js';
import { $, badge, el, when } from './dom.js';
import { inSession } from './sessions.js';

function receiver(url) {
  try {
    const u = new URL(url);
    return u.host + u.pathname;
  } catch {
    return url;
  }
}

function row(d) {
  const replay = el('button', { type: 'button', class: 'quiet', 'data-replay': d.id }, 'Replay');
  replay.addEventListener('click', () => void doReplay(d.id, replay));
  return el(
    'tr',
    { 'data-id': d.id },
    el('td', {}, when(d.createdAt)),
    el('td', {}, d.eventType),
    el('td', {}, receiver(d.url)),
    el('td', {}, badge(d.status)),
    el('td', { class: 'attempts' }, String(d.attempts)),
    el(
      'td',
      {},
      d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '—',
      d.lastError && d.lastError !== `HTTP ${d.lastStatusCode}` ? el('div', { class: 'muted' }, d.lastError) : null,
    ),
    el('td', {}, when(d.nextAttemptAt)),
    el('td', {}, replay),
  );
}

async function doReplay(id, button) {
  button.disabled = true;
  const result = await post(inSession(`/api/webhooks/deliveries/${encodeURIComponent(id)}/replay`));
  $('#webhooks-result').textContent = result.ok ? `${result.body.message}.` : messageOf(result);
  await load();
}

const getDeliveries = newestOnly();

async function load() {
  const form = new FormData($('#webhooks-filter'));
  const params = new URLSearchParams({ limit: '100' });
  for (const name of ['status', 'event']) if (form.get(name)) params.set(name, form.get(name));
  const result = await getDeliveries(`${inSession('/api/webhooks/deliveries')}?${params}`);
  if (!result) return;
  const table = $('#webhooks-table');
  if (!result.ok) {
    table.hidden = true;
    $('#webhooks-note').textContent = result.status === 404 ? 'Webhooks are off: set WEBHOOK_URL and WEBHOOK_SECRET to turn them on.' : messageOf(result);
    return;
  }
  table.hidden = false;
  $('#webhooks-note').textContent = `${result.body.total} deliveries`;
  $('#webhooks-rows').replaceChildren(...result.body.data.map(row));
}

export function initWebhooksPage() {
  $('#webhooks-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
}

export function showWebhooksPage(isVisible) {
  if (isVisible) void load();
}
