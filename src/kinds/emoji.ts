/**
 * "One emoji", as a reaction must be: exactly one grapheme (what a person sees as one character:
 * skin tones, flags, ZWJ families and keycaps are one each), and that grapheme an emoji.
 */

// The `v` flag's \p{RGI_Emoji} (Node 20+) knows every sequence WhatsApp's keyboards send; built at
// run time because the compile target predates the flag.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
// A pictograph without its emoji presentation selector (❤ rather than ❤️) is still one emoji.
const PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function isSingleEmoji(text: string): boolean {
  const parts = [...graphemes.segment(text)];
  if (parts.length !== 1) return false;
  return RGI_EMOJI.test(text) || PICTOGRAPH.test(text);
}
