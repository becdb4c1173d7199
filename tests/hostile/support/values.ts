/** Field values the hostile generators share: odd text of every sort, and phone numbers good and bad. */
import fc from 'fast-check';

export const WEIRD_TEXT = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', 'C:\\boot.ini', '%00', '"quoted"', 'Grüße 日本 🎉', '\u202egnp.exe', 'a\r\nb'),
);

export const GOOD_PHONE = fc.constantFrom('6281234567890', '081234567890', '+62 812-3456-7890');

export const phoneValue = fc.oneof(
  { weight: 4, arbitrary: GOOD_PHONE },
  fc.constantFrom('6281234567890', '081234567890', '+62 812-3456-7890', '62', '0', 'not a phone', '', ' ', '6281234567890@s.whatsapp.net'),
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^\+?\d{1,40}$/),
);
