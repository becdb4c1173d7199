/**
 * Which numbers are on WhatsApp: cached answers first, then one lookup for the rest of the batch.
 * A number already being looked up for another request is waited for, not asked again, so a burst
 * of identical checks costs one query.
 */
import type { NumberOnWhatsApp, WhatsAppTransport } from '../whatsapp/transport.js';
import type { NumberLookupCache } from './number-lookup-cache.js';

export class NumberCheck {
  private readonly inFlight = new Map<string, Promise<NumberOnWhatsApp>>();

  constructor(
    private readonly whatsapp: Pick<WhatsAppTransport, 'lookupNumbers'>,
    private readonly cache: NumberLookupCache,
  ) {}

  /** One answer per phone (international digits), in order; duplicates are asked once. */
  async check(phones: readonly string[]): Promise<NumberOnWhatsApp[]> {
    const answers = new Map<string, Promise<NumberOnWhatsApp>>();
    const toAsk: string[] = [];
    for (const phone of new Set(phones)) {
      const known = this.cache.get(phone);
      const asked = this.inFlight.get(phone);
      if (known) answers.set(phone, Promise.resolve(known));
      else if (asked) answers.set(phone, asked);
      else toAsk.push(phone);
    }
    if (toAsk.length > 0) {
      const batch = this.whatsapp.lookupNumbers(toAsk).then((found) => {
        for (const answer of found) this.cache.set(answer);
        return found;
      });
      for (const phone of toAsk) {
        const one = batch.then((found) => found.find((a) => a.phone === phone) ?? { phone, exists: false });
        answers.set(phone, one);
        this.inFlight.set(phone, one);
        const settle = () => {
          if (this.inFlight.get(phone) === one) this.inFlight.delete(phone);
        };
        one.then(settle, settle);
      }
    }
    const settled = new Map(await Promise.all([...answers].map(async ([phone, answer]) => [phone, await answer] as const)));
    return phones.map((phone) => settled.get(phone)!);
  }
}
