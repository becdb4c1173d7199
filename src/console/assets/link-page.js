// Link: the live QR (reloaded whenever the gateway says a new one is ready), the pairing-code form,
// and, once linked, the account with a confirmed logout.
import { get, messageOf, post } from './api.js';
import { $, phoneOfJid } from './dom.js';
import { live } from './live.js';
import { DEFAULT_SESSION, currentSession, inSession } from './sessions.js';

const STATES = {
  starting: 'starting',
  connecting: 'connecting to WhatsApp…',
  awaiting_qr: 'waiting for a phone to link',
  open: 'linked and connected',
  waiting_to_retry: 'disconnected, retrying',
  replaced: 'stopped: opened by another client',
  logged_out: 'logged out',
  stopped: 'stopped',
};

let qrVersion = 0;
let lastCode = null;

function showQr() {
  const img = $('#qr-image');
  // A new URL each time: the image is the current QR, never a cached one.
  img.src = `${inSession('/api/qr')}?format=png&v=${++qrVersion}`;
}

async function explainMissingQr() {
  $('#qr-image').hidden = true;
  // No retry here: the next "qr" event brings a fresh image.
  const result = await get(inSession('/api/qr'));
  $('#qr-message').textContent = result.body?.qr ? 'The QR image could not be loaded; the next one will appear here.' : messageOf(result);
}

function render(connection) {
  $('#link-state').textContent = STATES[connection.state] ?? connection.state;
  $('#link-linked').hidden = !connection.connected;
  $('#link-unlinked').hidden = connection.connected;
  if (connection.connected) {
    const account = connection.account ?? {};
    $('#link-account').textContent = `+${phoneOfJid(account.jid)}`;
    // The name is shown when the status carries one (the account's WhatsApp profile name).
    $('#link-account-name').textContent = account.name ? `(${account.name})` : '';
    $('#link-account-lid').textContent = account.lid ? `LID ${phoneOfJid(account.lid)}` : '';
    $('#pairing-code').hidden = true;
    $('#sandbox-type-code').hidden = true;
    $('#pairing-message').textContent = '';
    lastCode = null;
  } else if (connection.state === 'awaiting_qr') {
    showQr();
  } else {
    $('#qr-image').hidden = true;
    $('#qr-message').textContent = 'No QR right now: the gateway is ' + (STATES[connection.state] ?? connection.state) + '.';
  }
}

async function requestPairingCode(event) {
  event.preventDefault();
  const message = $('#pairing-message');
  const codeLine = $('#pairing-code');
  message.textContent = 'Asking WhatsApp for a code…';
  codeLine.hidden = true;
  const result = await post(inSession('/api/pairing-code'), { phone: $('#pairing-phone').value });
  message.textContent = result.ok ? result.body.message : messageOf(result);
  message.classList.toggle('error', !result.ok);
  if (!result.ok) return;
  lastCode = result.body.data.pairing_code;
  codeLine.textContent = lastCode.length === 8 ? `${lastCode.slice(0, 4)}-${lastCode.slice(4)}` : lastCode;
  codeLine.hidden = false;
  // The sandbox's emulated phone belongs to the default session.
  $('#sandbox-type-code').hidden = !document.body.classList.contains('sandbox') || currentSession() !== DEFAULT_SESSION;
}

async function sandboxTypesCode() {
  const result = await post('/api/sandbox/enter-pairing-code', { code: lastCode });
  $('#sandbox-type-result').textContent = result.ok ? (result.body.message ?? 'The emulated phone typed the code.') : messageOf(result);
}

async function logout(event) {
  if (event.target.returnValue !== 'confirm') return;
  const result = await post(inSession('/api/logout'));
  $('#logout-result').textContent = result.ok ? result.body.message : messageOf(result);
}

/** Another session was picked: nothing of the last one stays until its own state arrives. */
export function resetLinkPage() {
  $('#link-state').textContent = '…';
  $('#link-linked').hidden = true;
  $('#link-unlinked').hidden = true;
  $('#qr-image').hidden = true;
  $('#qr-image').removeAttribute('src');
  $('#qr-message').textContent = 'Waiting for a QR…';
  $('#pairing-code').hidden = true;
  $('#pairing-message').textContent = '';
  $('#sandbox-type-code').hidden = true;
  $('#sandbox-type-result').textContent = '';
  $('#logout-result').textContent = '';
  lastCode = null;
}

export function initLinkPage() {
  const img = $('#qr-image');
  img.addEventListener('load', () => {
    img.hidden = false;
    $('#qr-message').textContent = 'Scan this QR with the phone. It renews itself.';
  });
  img.addEventListener('error', () => void explainMissingQr());
  $('#pairing-form').addEventListener('submit', (event) => void requestPairingCode(event));
  $('#sandbox-type-code').addEventListener('click', () => void sandboxTypesCode());
  $('#logout-button').addEventListener('click', () => {
    $('#logout-result').textContent = '';
    $('#logout-dialog').showModal();
  });
  $('#logout-dialog').addEventListener('close', (event) => void logout(event));
  live.addEventListener('connection', (event) => render(event.detail));
  live.addEventListener('qr', () => showQr());
}
