/**
 * Reading WhatsApp's answer to a number lookup with Baileys' own usync parser: answers are tied to
 * the numbers asked by the number the server echoes, so a JID other than the digits asked (Brazil's
 * mobiles without the 9th digit) still lands on the right number. The socket is a stand-in that
 * answers the query with a stanza as WhatsApp writes it; the query itself is Baileys'.
 */
import { describe, expect, test } from '@jest/globals';
import type { BinaryNode, USyncQuery, WASocket } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { lookupNumbers } from '../../src/whatsapp/baileys/number-lookup.js';

type User = { jid?: string; type: 'in' | 'out'; echo?: string; lid?: string };

function answering(users: User[]) {
  const asked: BinaryNode[] = [];
  const stored: Array<{ pn: string; lid: string }> = [];
  const socket = {
    executeUSyncQuery: async (query: USyncQuery) => {
      asked.push({ tag: 'query', attrs: {}, content: query.protocols.map((p) => p.getQueryElement()) });
      const list = users.map((u): BinaryNode => ({
        tag: 'user',
        attrs: u.jid ? { jid: u.jid } : {},
        content: [{ tag: 'contact', attrs: { type: u.type }, content: u.echo }, ...(u.lid ? [{ tag: 'lid', attrs: { val: u.lid } }] : [])],
      }));
      return query.parseUSyncQueryResult({
        tag: 'iq',
        attrs: { type: 'result' },
        content: [{ tag: 'usync', attrs: {}, content: [{ tag: 'list', attrs: {}, content: list }] }],
      });
    },
    signalRepository: { lidMapping: { storeLIDPNMappings: async (pairs: Array<{ pn: string; lid: string }>) => void stored.push(...pairs) } },
  };
  return { socket: socket as unknown as WASocket, asked, stored };
}

const logger = pino({ level: 'silent' });

describe('lookupNumbers', () => {
  test('asks with the contact and LID protocols; ties answers by the echoed number, also when the JID differs', async () => {
    const { socket, asked, stored } = answering([
      { jid: '551187654321@s.whatsapp.net', type: 'in', echo: '+5511987654321', lid: '111@lid' },
      { jid: '6281298765432@s.whatsapp.net', type: 'out', echo: '+6281298765432' },
      { jid: '6281234567890@s.whatsapp.net', type: 'in', echo: '+6281234567890', lid: '222@lid' },
    ]);
    const found = await lookupNumbers(socket, ['6281234567890', '5511987654321', '6281298765432'], logger);
    expect(asked[0]?.content).toEqual([
      { tag: 'contact', attrs: {} },
      { tag: 'lid', attrs: {} },
    ]);
    expect(found).toEqual([
      { phone: '6281234567890', exists: true, jid: '6281234567890@s.whatsapp.net', lid: '222@lid' },
      { phone: '5511987654321', exists: true, jid: '551187654321@s.whatsapp.net', lid: '111@lid' },
      { phone: '6281298765432', exists: false },
    ]);
    // Learnt mappings are handed to Baileys' LID store, sparing the first send a LID query.
    expect(stored).toEqual([
      { pn: '6281234567890@s.whatsapp.net', lid: '222@lid' },
      { pn: '551187654321@s.whatsapp.net', lid: '111@lid' },
    ]);
  });

  test('without an echo the JID decides; a number WhatsApp says nothing about is not on WhatsApp; no LID is no lid', async () => {
    const { socket } = answering([
      { jid: '6281234567890@s.whatsapp.net', type: 'in' },
      { type: 'in', echo: '+6281311112222' }, // no jid: Baileys' parser drops it
    ]);
    const found = await lookupNumbers(socket, ['6281234567890', '6281311112222', '6285711112222'], logger);
    expect(found).toEqual([
      { phone: '6281234567890', exists: true, jid: '6281234567890@s.whatsapp.net' },
      { phone: '6281311112222', exists: false },
      { phone: '6285711112222', exists: false },
    ]);
  });
});
