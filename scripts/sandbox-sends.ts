/**
 * What both deployment checks ask of a gateway started in sandbox mode: link to the emulated phone,
 * then send a text, an image (converted by sharp) and a voice note (converted by ffmpeg), and find
 * all three on the phone. Throws with the reason otherwise.
 */
import { samplePng, sampleVoice } from './sample-media.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = (text: string): never => {
  throw new Error(text);
};

export async function sandboxSends(base: string): Promise<void> {
  const api = (p: string, init?: RequestInit) => fetch(`${base}${p}`, init).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const deadline = Date.now() + 60_000;
  const linked = () => api('/api/status').then((r) => (r.body as { bot_connected?: boolean }).bot_connected === true, () => false);
  while (!(await linked())) {
    if (Date.now() > deadline) fail('the sandbox never linked to its emulated phone');
    await sleep(500);
  }
  const phone = '6281234567890';
  const text = await api('/api/send-message', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, message: 'Hello from the deployment check' }) });
  const upload = (endpoint: string, name: string, bytes: Buffer, type: string) => {
    const form = new FormData();
    form.set('phone', phone);
    form.set('file', new Blob([bytes], { type }), name);
    return api(endpoint, { method: 'POST', body: form });
  };
  const image = await upload('/api/send-image', 'square.png', samplePng(), 'image/png');
  const voice = await upload('/api/send-audio', 'tone.wav', sampleVoice(), 'audio/wav');
  for (const [what, res] of [['text', text], ['image', image], ['voice note', voice]] as const) {
    if (res.status !== 200) fail(`sandbox ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await sleep(1000);
  const received = ((await api('/api/sandbox/messages')).body.messages ?? []) as { type: string; text: string | null; media: { mimetype: string | null; ptt: boolean | null; has_thumbnail: boolean } | null }[];
  console.log('the emulated phone received:', JSON.stringify(received.map((m) => ({ type: m.type, text: m.text, mimetype: m.media?.mimetype, ptt: m.media?.ptt, thumbnail: m.media?.has_thumbnail }))));
  if (!received.some((m) => m.text === 'Hello from the deployment check')) fail('the text never reached the emulated phone');
  if (!received.some((m) => m.type === 'image' && m.media?.has_thumbnail === true)) fail('no image with a thumbnail (made by sharp) reached the emulated phone');
  if (!received.some((m) => m.media?.ptt === true && m.media.mimetype?.startsWith('audio/ogg'))) fail('no Ogg/Opus voice note (ffmpeg) reached the emulated phone');
}
