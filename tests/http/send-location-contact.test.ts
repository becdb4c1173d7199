/**
 * Location and contact cards (src/kinds/) through the real app
 * with the fake transport: what each answers, what it hands to WhatsApp, every error.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

const PHONE = '6281234567890';
const JID = `${PHONE}@s.whatsapp.net`;
let t: TestApp;
afterEach(() => t?.cleanup());

const post = (path: string, body: unknown) =>
  request(t.app)
    .post(path)
    .send(body as object);

describe('POST /api/send-location', () => {
  test('sends the pin and answers with what was sent', async () => {
    t = await buildTestApp();
    const res = await post('/api/send-location', {
      phone: '081234567890',
      latitude: -6.1754,
      longitude: 106.8272,
      name: 'Monas',
      address: 'Gambir, Jakarta',
    }).expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Location sent successfully',
      data: { phone: PHONE, type: 'location', latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta', delivery_status: 'sent' },
    });
    expect(t.transport.sent).toEqual([
      {
        jid: JID,
        messageId: res.body.data.message_id,
        content: { kind: 'location', latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta' },
      },
    ]);
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ type: 'location', summary: 'Monas, Gambir, Jakarta', status: 'sent' });
  });

  test('coordinates as text in a form, without name and address', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-location').type('form').send(`phone=${PHONE}&latitude=-90&longitude=180`).expect(200);
    expect(res.body.data).toMatchObject({ latitude: -90, longitude: 180, name: null, address: null });
    expect(t.transport.sent[0]?.content).toEqual({ kind: 'location', latitude: -90, longitude: 180 });
  });

  test.each([
    [{ latitude: 1, longitude: 2 }, 400, 'PHONE_REQUIRED', 'Phone number required'],
    [{ phone: PHONE }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: 1 }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: '', longitude: 2 }, 400, 'LOCATION_REQUIRED', 'Latitude and longitude required'],
    [{ phone: PHONE, latitude: 90.01, longitude: 2 }, 400, 'INVALID_LOCATION', 'Invalid location: latitude must be a number from -90 to 90'],
    [{ phone: PHONE, latitude: 'north', longitude: 2 }, 400, 'INVALID_LOCATION', 'Invalid location: latitude must be a number from -90 to 90'],
    [{ phone: PHONE, latitude: 1, longitude: -180.5 }, 400, 'INVALID_LOCATION', 'Invalid location: longitude must be a number from -180 to 180'],
    [{ phone: PHONE, latitude: 1, longitude: [2] }, 400, 'INVALID_LOCATION', 'Invalid location: longitude must be a number from -180 to 180'],
    [{ phone: PHONE, latitude: 1, longitude: 2, name: 5 }, 400, 'INVALID_LOCATION', 'Invalid location: name must be text'],
    [
      { phone: PHONE, latitude: 1, longitude: 2, address: 'x'.repeat(1001) },
      400,
      'INVALID_LOCATION',
      'Invalid location: address too long (maximum 1000 characters)',
    ],
  ])('%j → %i %s', async (body, status, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-location', body).expect(status);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });
});

describe('POST /api/send-contact', () => {
  test('one contact: a vCard 3.0 with waid, special characters escaped', async () => {
    t = await buildTestApp();
    const contact = { name: 'Siti; Aminah, S.E.\\', phone: '0812-3456-7891', organization: 'Toko\nMakmur', email: 'siti@example.com' };
    const res = await post('/api/send-contact', { phone: PHONE, contacts: [contact] }).expect(200);
    expect(res.body).toMatchObject({
      message: 'Contact sent successfully',
      data: {
        phone: PHONE,
        type: 'contact',
        contacts: [{ name: contact.name, phone: '6281234567891', organization: 'Toko\nMakmur', email: 'siti@example.com' }],
      },
    });
    const vcard = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:;Siti\\; Aminah\\, S.E.\\\\;;;',
      'FN:Siti\\; Aminah\\, S.E.\\\\',
      'ORG:Toko\\nMakmur',
      'TEL;type=CELL;type=VOICE;waid=6281234567891:+6281234567891',
      'EMAIL;type=INTERNET:siti@example.com',
      'END:VCARD',
    ].join('\n');
    expect(t.transport.sent[0]?.content).toEqual({ kind: 'contact', contacts: [{ displayName: contact.name, vcard }] });
  });

  test('several contacts go out in one message; the record names them', async () => {
    t = await buildTestApp();
    const contacts = [
      { name: 'Siti', phone: '6281234567891' },
      { name: 'Andi', phone: 6281234567892 },
    ];
    const res = await post('/api/send-contact', { phone: PHONE, contacts }).expect(200);
    const content = t.transport.sent[0]?.content as { contacts: Array<{ displayName: string; vcard: string }> };
    expect(content.contacts.map((c) => c.displayName)).toEqual(['Siti', 'Andi']);
    expect(content.contacts[1]?.vcard).toContain('waid=6281234567892:+6281234567892');
    const record = await request(t.app).get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ type: 'contact', summary: 'Siti, Andi' });
  });

  const card = { name: 'Siti', phone: '6281234567891' };
  test.each([
    [{ phone: PHONE }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: [] }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: 'Siti' }, 'CONTACTS_REQUIRED', 'Contacts required: "contacts", an array of 1 to 10 {name, phone}'],
    [{ phone: PHONE, contacts: Array(11).fill(card) }, 'INVALID_CONTACT', 'Invalid contact: at most 10 contacts per message'],
    [{ phone: PHONE, contacts: [card, 'Andi'] }, 'INVALID_CONTACT', 'Invalid contact: contacts[1] must be an object {name, phone}'],
    [{ phone: PHONE, contacts: [{ phone: '6281234567891' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].name must be text'],
    [{ phone: PHONE, contacts: [{ name: '  ', phone: '6281234567891' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].name required'],
    [{ phone: PHONE, contacts: [card, { name: 'Andi' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[1].phone required'],
    [{ phone: PHONE, contacts: [{ name: 'Andi', phone: '12' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].phone: Invalid phone number'],
    [{ phone: PHONE, contacts: [{ ...card, email: 'not-an-address' }] }, 'INVALID_CONTACT', 'Invalid contact: contacts[0].email is not an e-mail address'],
    [
      { phone: PHONE, contacts: [{ ...card, organization: 'x'.repeat(257) }] },
      'INVALID_CONTACT',
      'Invalid contact: contacts[0].organization too long (maximum 256 characters)',
    ],
  ])('%j → 400 %s', async (body, code, message) => {
    t = await buildTestApp();
    const res = await post('/api/send-contact', body).expect(400);
    expect(res.body).toMatchObject({ status: 'error', code, message });
    expect(t.transport.sent).toHaveLength(0);
  });
});
