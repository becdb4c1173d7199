/**
 * Downloads of received media. Baileys fetches them with the global fetch, which ignores the
 * `fetchAgent` uploads use; a media host with its own certificate authority (the emulator, in
 * tests and the sandbox) is trusted through an undici dispatcher instead. Without a CA the
 * system's roots apply, as for any fetch.
 */
import { downloadMediaMessage, normalizeMessageContent, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';

export class MediaDownloader {
  private readonly dispatcher?: Agent;

  constructor(options: { ca?: string }) {
    if (options.ca) this.dispatcher = new Agent({ connect: { ca: options.ca } });
  }

  async download(
    message: WAMessage,
    socket: WASocket,
    logger: NonNullable<Parameters<typeof downloadMediaMessage>[3]>['logger'],
  ): Promise<{ stream: Readable; mimetype?: string; fileName?: string }> {
    const options = this.dispatcher ? { options: { dispatcher: this.dispatcher } as RequestInit } : {};
    const stream = await downloadMediaMessage(message, 'stream', options, { logger, reuploadRequest: socket.updateMediaMessage });
    // Disappearing and view-once messages wrap the media; look through the wrapper for its details.
    const content = normalizeMessageContent(message.message) ?? {};
    const media = content.imageMessage ?? content.videoMessage ?? content.audioMessage ?? content.documentMessage ?? content.stickerMessage;
    return { stream, mimetype: media?.mimetype ?? undefined, fileName: content.documentMessage?.fileName ?? undefined };
  }

  close(): void {
    void this.dispatcher?.close().catch(() => undefined);
  }
}
