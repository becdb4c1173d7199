import { describe, expect, test } from '@jest/globals';
import { SendAddressing } from '../../src/messaging/send-addressing.js';
import { groupRecipient, lidRecipient, type Recipient } from '../../src/messaging/recipient.js';
import { ReplyContexts, type ReplyContextDeps } from '../../src/messaging/reply-context.js';
import { FakeTransport } from '../support/fake-transport.js';

// DeliveryService skips address() when needed() says false: that must be exactly when address()
// would hand the content back unchanged without asking anything.
const contact: Recipient = lidRecipient('123456789012345@lid');
const group: Recipient = groupRecipient('120363025246125486@g.us');
// needed() never calls the stores: it looks at the options only.
const replies = new ReplyContexts({} as ReplyContextDeps);

describe('SendAddressing.needed', () => {
  test('a contact without options needs nothing', () => {
    const addressing = new SendAddressing(new FakeTransport(), replies);
    expect(addressing.needed(contact, undefined)).toBe(false);
    expect(addressing.needed(contact, {})).toBe(false);
    expect(addressing.needed(contact, { mentions: [] })).toBe(false);
  });

  test('reply_to or mentions need their context', () => {
    const addressing = new SendAddressing(new FakeTransport(), replies);
    expect(addressing.needed(contact, { replyTo: '3EB0AB' })).toBe(true);
    expect(addressing.needed(contact, { mentions: ['6281234567890@s.whatsapp.net'] })).toBe(true);
  });

  test('a group is checked while connected, and left to the outbox while not', () => {
    const transport = new FakeTransport();
    const addressing = new SendAddressing(transport, replies);
    expect(addressing.needed(group, undefined)).toBe(true);
    transport.phase = 'connecting';
    expect(addressing.needed(group, undefined)).toBe(false);
  });
});
