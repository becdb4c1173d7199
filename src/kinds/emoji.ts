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

/** The longest emoji sequences (ZWJ families with skin tones, subdivision flags) are under 40 UTF-16 units. */
const MAX_EMOJI_LENGTH = 64;

export function isSingleEmoji(text: string): boolean {
  // Checked before segmenting: spreading the segments of a 70,000-character text ran Node out of
  // memory (found by the wrong-types test); one emoji never needs more than two segments looked at.
  if (text.length === 0 || text.length > MAX_EMOJI_LENGTH) return false;
  let count = 0;
  for (const _ of graphemes.segment(text)) if (++count > 1) return false;
  return RGI_EMOJI.test(text) || PICTOGRAPH.test(text);
}
