import { createHash } from 'node:crypto';
import { Curve, jidDecode, type KeyPair } from '@whiskeysockets/baileys';
import { SignalParty } from './signal-party.js';

export interface AccountOptions {
  /** The linked account's phone number, digits only. */
  phone: string;
  /** The account's LID user part (digits, without @lid). */
  lid: string;
  /** Push name the phone reports; used as the account's display name. */
  pushName?: string;
}

export interface ContactOptions {
  phone: string;
  lid?: string;
  pushName?: string;
  /** Linked companion devices besides the phone (device ids 1..n), each with its own Signal keys. Default 0. */
  companions?: number;
}

/** A WhatsApp user the emulator knows: a contact, or the account itself (its phone is device 0). */
export interface Person {
  phone: string;
  lid: string;
  pushName?: string;
  /** The person's primary device (device 0). */
  party: SignalParty;
  isAccount: boolean;
  /** A contact's companion devices by device id (the account's companions live in PairedDevices). */
  companions: Map<number, SignalParty>;
}

/** The Signal party of one device of a person: the phone (0) or a contact's companion. */
export function partyOf(person: Person, device: number): SignalParty | undefined {
  return device === 0 ? person.party : person.companions.get(device);
}

export const pnJid = (phone: string): string => `${phone}@s.whatsapp.net`;
export const lidJid = (lid: string): string => `${lid}@lid`;

const PLAUSIBLE_PHONE = /^[1-9]\d{6,14}$/;

/**
 * The emulator's idea of who is on WhatsApp: the account (whose phone's Signal identity is the ADV
 * account key, as on the real network) and the contacts, each with a phone number, a LID and Signal keys.
 * Unknown but plausible numbers become contacts on first lookup, so tests may send anywhere.
 */
export class Directory {
  readonly account: Person;
  /** The ADV account signature key pair: signs companion device identities. */
  readonly accountKey: KeyPair;
  private readonly byPhone = new Map<string, Person>();
  private readonly byLid = new Map<string, Person>();

  constructor(
    account: AccountOptions,
    contacts: ContactOptions[],
    private readonly notOnWhatsApp: ReadonlySet<string>,
  ) {
    this.accountKey = Curve.generateKeyPair();
    this.account = { ...account, party: new SignalParty(this.accountKey), isAccount: true, companions: new Map() };
    this.index(this.account);
    for (const contact of contacts) this.addContact(contact);
  }

  addContact(options: ContactOptions): Person {
    const existing = this.byPhone.get(options.phone);
    if (existing) return existing;
    const person: Person = {
      phone: options.phone,
      lid: options.lid ?? this.mintLid(options.phone),
      pushName: options.pushName,
      party: new SignalParty(),
      isAccount: false,
      companions: new Map(Array.from({ length: options.companions ?? 0 }, (_, i) => [i + 1, new SignalParty()] as const)),
    };
    this.index(person);
    return person;
  }

  /**
   * Resolves a user JID (PN or LID, with or without device) to a person. Unknown plausible phone
   * numbers are created on demand unless listed as not on WhatsApp; unknown LIDs stay unknown.
   */
  resolve(jid: string): Person | undefined {
    const decoded = jidDecode(jid);
    if (!decoded?.user) return undefined;
    if (decoded.server === 'lid') return this.byLid.get(decoded.user);
    if (decoded.server !== 's.whatsapp.net') return undefined;
    return this.byPhone.get(decoded.user) ?? this.createIfPlausible(decoded.user);
  }

  byPhoneNumber(phone: string): Person | undefined {
    return this.byPhone.get(phone) ?? this.createIfPlausible(phone);
  }

  contacts(): Person[] {
    return [...this.byPhone.values()].filter((person) => !person.isAccount);
  }

  private createIfPlausible(phone: string): Person | undefined {
    if (!PLAUSIBLE_PHONE.test(phone) || this.notOnWhatsApp.has(phone)) return undefined;
    return this.addContact({ phone });
  }

  private index(person: Person): void {
    this.byPhone.set(person.phone, person);
    this.byLid.set(person.lid, person);
  }

  // LIDs are opaque 15-digit numbers; derive one from the phone so runs are reproducible.
  private mintLid(phone: string): string {
    let attempt = 0;
    for (;;) {
      const digest = createHash('sha256').update(`${phone}/${attempt++}`).digest();
      const lid = (100_000_000_000_000n + (digest.readBigUInt64BE(0) % 899_999_999_999_999n)).toString();
      if (!this.byLid.has(lid)) return lid;
    }
  }
}
