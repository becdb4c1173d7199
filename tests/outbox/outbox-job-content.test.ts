import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { DeliveryService } from '../../src/messaging/delivery-service.js';
import { createPassThroughPreparer } from '../../src/messaging/media-preparation.js';
import { MessageSender } from '../../src/messaging/message-sender.js';
import { decodeJobContent, encodeJobContent } from '../../src/outbox/job-content.js';
import { SqliteMessageRepository } from '../../src/records/sqlite-message-repository.js';
import { SqliteOutboxRepository } from '../../src/outbox/sqlite-outbox-repository.js';
import type { OutgoingMedia } from '../../src/whatsapp/transport.js';
import { FakeTransport } from '../support/fake-transport.js';
import { tempDatabase } from '../store/temp-db.js';

const JID = '6281111111111@s.whatsapp.net';
const LIMITS = { maxBytes: 1_000_000, maxJobs: 100 };

describe('outbox job content', () => {
  let tmp: ReturnType<typeof tempDatabase>;
  let outbox: SqliteOutboxRepository;
  beforeEach(() => {
    tmp = tempDatabase('wa-job-content-');
    outbox = new SqliteOutboxRepository(tmp.db, LIMITS);
  });
  afterEach(() => tmp.cleanup());

  test('keeps the content union as JSON, bytes and their types included', async () => {
    const media: OutgoingMedia = {
      kind: 'audio',
      path: '/spool/a.ogg',
      mimetype: 'audio/ogg; codecs=opus',
      fileName: 'a.ogg',
      ptt: true,
      seconds: 3,
      waveform: new Uint8Array([0, 50, 100]),
      jpegThumbnail: Buffer.from('thumb'),
      context: { quotedId: '3EB0QUOTED', mentions: ['6282222222222@s.whatsapp.net'] },
    };
    await outbox.enqueue({
      messageId: 'm1',
      jid: JID,
      kind: 'audio',
      media: { path: media.path, bytes: 10, fileName: 'a.ogg', mimetype: media.mimetype },
      options: encodeJobContent(media),
    });
    const decoded = decodeJobContent((await outbox.get('m1'))!) as OutgoingMedia;
    expect(decoded).toEqual(media);
    expect(decoded.waveform).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(decoded.waveform)).toBe(false);
    expect(Buffer.isBuffer(decoded.jpegThumbnail)).toBe(true);

    await outbox.enqueue({ messageId: 'm2', jid: JID, kind: 'text', options: encodeJobContent({ kind: 'text', text: 'hello' }) });
    expect(decodeJobContent((await outbox.get('m2'))!)).toEqual({ kind: 'text', text: 'hello' });
  });

  test('reads jobs queued by v2.0.0 (text in its column, media options picked by hand)', async () => {
    // Exactly what a v2.0.0 gateway wrote for a text and for a gif that goes out as a looping video.
    await outbox.enqueue({ messageId: 'old-text', jid: JID, kind: 'text', text: 'queued before the upgrade', media: null, options: null });
    await outbox.enqueue({
      messageId: 'old-gif',
      jid: JID,
      kind: 'image',
      media: { path: '/spool/old.mp4', bytes: 100, fileName: 'old.mp4', mimetype: 'video/mp4', caption: 'a gif' },
      options: { kind: 'video', gifPlayback: true, seconds: 2, width: 320, height: 240, jpegThumbnail: Buffer.from('jpg').toString('base64') },
    });
    expect(decodeJobContent((await outbox.get('old-text'))!)).toEqual({ kind: 'text', text: 'queued before the upgrade' });
    const gif = decodeJobContent((await outbox.get('old-gif'))!) as OutgoingMedia;
    expect(gif).toMatchObject({
      kind: 'video',
      path: '/spool/old.mp4',
      mimetype: 'video/mp4',
      fileName: 'old.mp4',
      caption: 'a gif',
      gifPlayback: true,
      seconds: 2,
      width: 320,
      height: 240,
    });
    expect(gif.jpegThumbnail?.toString()).toBe('jpg');
  });

  test('a job queued before the upgrade is sent after it', async () => {
    const file = join(tmp.dir, 'old.pdf');
    writeFileSync(file, 'pdf bytes');
    await outbox.enqueue({ messageId: 'old-text', jid: JID, kind: 'text', text: 'still goes out', media: null, options: null });
    await outbox.enqueue({
      messageId: 'old-doc',
      jid: JID,
      kind: 'document',
      media: { path: file, bytes: 9, fileName: 'report.pdf', mimetype: 'application/pdf', caption: null },
      options: { kind: 'document' },
    });
    const transport = new FakeTransport();
    const logger = pino({ level: 'silent' });
    const delivery = new DeliveryService({
      transport,
      sender: new MessageSender(transport, createPassThroughPreparer(), logger),
      messages: new SqliteMessageRepository(tmp.db),
      logger,
    });
    const sender = delivery.outboxSender();
    await sender.send((await outbox.get('old-text'))!, '3EB0OLD1');
    await sender.send((await outbox.get('old-doc'))!, '3EB0OLD2');
    expect(transport.sent.map((s) => ({ jid: s.jid, text: s.text, messageId: s.messageId }))[0]).toEqual({
      jid: JID,
      text: 'still goes out',
      messageId: '3EB0OLD1',
    });
    expect(transport.sent[1]).toMatchObject({
      jid: JID,
      messageId: '3EB0OLD2',
      media: { kind: 'document', fileName: 'report.pdf', mimetype: 'application/pdf' },
    });
    expect(transport.sent[1]?.bytes?.toString()).toBe('pdf bytes');
  });
});
