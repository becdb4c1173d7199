/** A caption edit names the kind WhatsApp got, read from the kept content of the original. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { SqliteSentContentRepository } from '../../src/records/sent-content-repository.js';
import { withSentCaptionKind } from '../../src/whatsapp/baileys/caption-edit.js';
import { toBaileysContent } from '../../src/whatsapp/baileys/outgoing-content.js';
import { encodeSentContent } from '../../src/whatsapp/baileys/retry-receipts.js';
import type { OutgoingEdit } from '../../src/whatsapp/transport.js';

let dir: string;
let db: SqliteDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'caption-edit-'));
  db = openDatabase(join(dir, 'gateway.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const JID = '6281234567890@s.whatsapp.net';
const edit = (id: string, captionOf?: OutgoingEdit['captionOf']): OutgoingEdit => ({
  kind: 'edit',
  target: { id, remoteJid: JID },
  text: 'new caption',
  ...(captionOf ? { captionOf } : {}),
});

describe('caption edits', () => {
  test('an "image" that went out as a looping video (an animated GIF) is edited as a video', async () => {
    const store = new SqliteSentContentRepository(db);
    await store.save({ waMessageId: 'GIF1', jid: JID, content: encodeSentContent({ videoMessage: { caption: 'old', gifPlayback: true } }) });
    const resolved = await withSentCaptionKind(edit('GIF1', 'image'), store);
    expect(resolved.captionOf).toBe('video');
    expect(toBaileysContent(resolved)).toMatchObject({
      forward: { message: { videoMessage: { caption: 'new caption' } } },
      edit: { id: 'GIF1', fromMe: true, remoteJid: JID },
    });
  });

  test('the kind the record names is kept when it matches, when nothing was kept, and for text edits', async () => {
    const store = new SqliteSentContentRepository(db);
    await store.save({ waMessageId: 'IMG1', jid: JID, content: encodeSentContent({ imageMessage: { caption: 'old' } }) });
    expect((await withSentCaptionKind(edit('IMG1', 'image'), store)).captionOf).toBe('image');
    expect((await withSentCaptionKind(edit('PURGED', 'document'), store)).captionOf).toBe('document');
    expect(await withSentCaptionKind(edit('IMG1'), store)).toEqual(edit('IMG1'));
    expect(toBaileysContent(edit('TXT1'))).toEqual({ text: 'new caption', edit: { id: 'TXT1', fromMe: true, remoteJid: JID }, linkPreview: null });
  });
});
