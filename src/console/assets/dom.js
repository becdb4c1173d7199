// Small DOM helpers. Text goes in through textContent only, so nothing from the API becomes markup.
export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value ?? '—')]));
}

export const when = (value) => (value === null || value === undefined ? '—' : new Date(value).toLocaleString());

export function duration(seconds) {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d && `${d}d`, (d || h) && `${h}h`, `${m}m`, `${s % 60}s`].filter(Boolean).join(' ');
}

export const badge = (status) => el('span', { class: `badge ${status}` }, status);

/** The phone number of a JID such as 6281234567890:1@s.whatsapp.net. */
export const phoneOfJid = (jid) => (jid ? jid.replace(/[:@].*$/, '') : '—');

export function showResult(pre, result) {
  pre.textContent = JSON.stringify(result.body, null, 2);
  pre.classList.toggle('failed', !result.ok);
}
