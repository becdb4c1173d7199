// Status: what /api/status says, grouped for a person. Refreshed on connection changes and on demand.
import { messageOf, newestOnly } from './api.js';
import { $, duration, facts, when } from './dom.js';
import { live } from './live.js';
import { inSession } from './sessions.js';

let visible = false;

function disconnect(last) {
  return last ? `${last.reason} (code ${last.code}) at ${when(last.at)}` : 'none';
}

function restriction(connection) {
  const r = connection.restriction;
  if (!r) return 'none';
  return typeof r === 'string' ? r : [r.reason ?? r.type, r.until && `until ${when(r.until)}`].filter(Boolean).join(' ');
}

// Connection changes come in quick runs (connecting, open): only the newest answer is drawn.
const getStatus = newestOnly();

async function refresh() {
  const result = await getStatus(inSession('/api/status'));
  if (!result) return;
  if (!result.ok) {
    $('#status-at').textContent = messageOf(result);
    return;
  }
  const s = result.body;
  const c = s.connection ?? {};
  facts($('#status-connection'), [
    ['State', c.state],
    ['Connected', s.bot_connected ? 'yes' : 'no'],
    ['Account', c.account?.jid ?? '—'],
    ['Attempts', `${s.connection_attempts} of ${s.max_attempts}${c.slow_retry ? ' (slow retries)' : ''}`],
    ['Next retry', when(c.next_retry_at)],
    ['Last disconnect', disconnect(c.last_disconnect)],
    ['Restriction', restriction(c)],
  ]);
  const outbox = s.outbox ?? { enabled: false };
  const hooks = s.webhooks ?? { enabled: false };
  facts($('#status-queues'), [
    ['Outbox', outbox.enabled ? `${outbox.queued} queued, ${outbox.in_flight} in flight, ${outbox.media_mb} MB media` : 'off'],
    ['Webhook backlog', hooks.enabled ? `${hooks.pending} pending, ${hooks.failed} failed` : 'webhooks off'],
  ]);
  facts($('#status-system'), [
    ['Uptime', duration(s.system.uptime)],
    ['Memory (RSS)', `${s.system.memory_usage_mb} MB`],
    ['Node', s.system.node_version],
    ['Environment', s.environment + (s.sandbox ? ' (sandbox)' : '')],
  ]);
  $('#status-at').textContent = new Date().toLocaleString();
}

export function initStatusPage() {
  $('#status-refresh').addEventListener('click', () => void refresh());
  live.addEventListener('connection', () => visible && void refresh());
}

export function showStatusPage(isVisible) {
  visible = isVisible;
  if (visible) void refresh();
}
