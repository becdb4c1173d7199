// Entry point: asks whether this browser is logged in, shows the login or the pages, routes by hash.
import { call, get, messageOf, post, sessionEvents, setCsrfToken } from './api.js';
import { $ } from './dom.js';
import { initLinkPage, resetLinkPage } from './link-page.js';
import { startLive, stopLive } from './live.js';
import { initMessagesPage, showMessagesPage } from './messages-page.js';
import { initSendPage } from './send-page.js';
import { forgetSession, initSessionPicker, refreshSessions, sessionChoice } from './sessions.js';
import { initSessionsPage, showSessionsPage } from './sessions-page.js';
import { initStatusPage, showStatusPage } from './status-page.js';
import { initWebhooksPage, showWebhooksPage } from './webhooks-page.js';

const PAGES = {
  link: () => {},
  status: showStatusPage,
  send: () => {},
  messages: showMessagesPage,
  webhooks: showWebhooksPage,
  sessions: showSessionsPage,
};

let signedIn = false;

function route() {
  if (!signedIn) return;
  const name = location.hash.replace(/^#\/?/, '') || 'link';
  const current = name in PAGES ? name : 'link';
  for (const [page, show] of Object.entries(PAGES)) {
    $(`#page-${page}`).hidden = page !== current;
    show(page === current);
  }
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.route === current);
  // The picker's list (and states) are as fresh as the last page change; the Sessions page reads it itself.
  if (current !== 'sessions') void refreshSessions();
}

/** Another session picked: its events replace the last one's, and the page shown reloads for it. */
function switchSession() {
  resetLinkPage();
  startLive();
  route();
}

function showLogin(reason = '') {
  signedIn = false;
  stopLive();
  setCsrfToken(null);
  for (const page of document.querySelectorAll('.page')) page.hidden = true;
  $('#nav').hidden = true;
  $('#console-logout').hidden = true;
  $('#session-picker-label').hidden = true;
  forgetSession();
  $('#login').hidden = false;
  $('#login-error').textContent = reason;
  $('#login-key').focus();
}

function enter(csrfToken, authRequired) {
  setCsrfToken(csrfToken);
  signedIn = true;
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#console-logout').hidden = !authRequired;
  startLive();
  route();
}

async function login(event) {
  event.preventDefault();
  const input = $('#login-key');
  const result = await post('/console/session', { api_key: input.value });
  // The key is not kept anywhere once it has been exchanged (or refused).
  input.value = '';
  if (!result.ok) {
    $('#login-error').textContent = messageOf(result);
    return;
  }
  enter(result.body.data.csrf_token, true);
}

async function logout() {
  await call('DELETE', '/console/session');
  showLogin('Logged out.');
}

async function boot() {
  initLinkPage();
  initStatusPage();
  initSendPage();
  initMessagesPage();
  initWebhooksPage();
  initSessionsPage();
  initSessionPicker();
  sessionChoice.addEventListener('change', () => signedIn && switchSession());
  $('#login-form').addEventListener('submit', (event) => void login(event));
  $('#console-logout').addEventListener('click', () => void logout());
  sessionEvents.addEventListener('unauthorized', () => signedIn && showLogin('Your console session has ended: log in again.'));
  window.addEventListener('hashchange', route);

  const answer = await get('/console/session');
  if (!answer.ok) {
    showLogin(`The gateway did not answer: ${messageOf(answer)}. Reload the page to try again.`);
    return;
  }
  const session = answer.body.data;
  $('#open-banner').hidden = session.auth_required;
  $('#sandbox-banner').hidden = !session.sandbox;
  document.body.classList.toggle('sandbox', session.sandbox);
  if (session.authenticated) enter(session.csrf_token, session.auth_required);
  else showLogin();
}

void boot();
