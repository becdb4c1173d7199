// Send: one form per kind, posted to the same endpoints an API client uses; the response is shown as is.
import { call, messageOf } from './api.js';
import { $, el, showResult } from './dom.js';
import { inSession } from './sessions.js';

const KINDS = [
  { kind: 'text', label: 'Text', endpoint: '/api/send-message' },
  { kind: 'image', label: 'Image', endpoint: '/api/send-image', caption: true, accept: 'image/*' },
  { kind: 'document', label: 'Document', endpoint: '/api/send-document', caption: true },
  { kind: 'audio', label: 'Voice note', endpoint: '/api/send-audio', accept: 'audio/*' },
  { kind: 'video', label: 'Video', endpoint: '/api/send-video', caption: true, accept: 'video/*' },
  { kind: 'sticker', label: 'Sticker', endpoint: '/api/send-sticker', accept: '.webp' },
];

function formFor(spec) {
  const fields = [el('label', {}, 'Phone number ', el('input', { name: 'phone', required: true, placeholder: '6281234567890', inputmode: 'tel' }))];
  if (spec.kind === 'text') fields.push(el('label', {}, 'Message ', el('textarea', { name: 'message', required: true, rows: 4 })));
  else fields.push(el('label', {}, 'File ', el('input', { name: 'file', type: 'file', required: true, accept: spec.accept })));
  if (spec.caption) fields.push(el('label', {}, 'Caption ', el('input', { name: 'caption' })));
  const form = el('form', { id: `send-${spec.kind}`, class: 'send-form', hidden: true }, ...fields, el('button', { type: 'submit' }, `Send ${spec.label.toLowerCase()}`));
  form.addEventListener('submit', (event) => void submit(event, spec, form));
  return form;
}

async function submit(event, spec, form) {
  event.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  $('#send-summary').textContent = 'Sending…';
  try {
    const data = new FormData(form);
    const body = spec.kind === 'text' ? { phone: data.get('phone'), message: data.get('message') } : data;
    const result = await call('POST', inSession(spec.endpoint), body);
    $('#send-summary').textContent = result.ok ? `${result.body.message} — status ${result.body.data?.delivery_status ?? 'sent'}` : messageOf(result);
    showResult($('#send-result'), result);
  } finally {
    button.disabled = false;
  }
}

function select(kind) {
  for (const tab of $('#send-tabs').children) tab.setAttribute('aria-selected', String(tab.dataset.kind === kind));
  for (const form of $('#send-forms').children) form.hidden = form.id !== `send-${kind}`;
}

export function initSendPage() {
  $('#send-tabs').replaceChildren(
    ...KINDS.map((spec) => el('button', { type: 'button', role: 'tab', 'data-kind': spec.kind, onclick: () => select(spec.kind) }, spec.label)),
  );
  $('#send-forms').replaceChildren(...KINDS.map(formFor));
  select('text');
}
