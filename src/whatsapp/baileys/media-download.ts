/**
 * Downloads of received media. Baileys fetches them with the global fetch, which ignores the
 * `fetchAgent` uploads use; a media host with its own certificate authority (the emulator, in
 * tests and the sandbox) is trusted through an undici dispatcher instead. Without a CA the
 * system's roots apply, as for any fetch. A session with a proxy downloads through it (and so do
 * Baileys' own fetches of history and app-state blobs: the transport hands them the same dispatcher).
 * undici is loaded on the first download, not at start: a gateway at rest does not carry it (idle
 * RSS is a measured target); a session with a proxy loads it when its socket starts.
 */
import { downloadMediaMessage, normalizeMessageContent, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import type { ProxyAddress } from '../../proxy/proxy-address.js';
import { tunnelConnector } from '../../proxy/proxy-agents.js';

export class MediaDownloader {
  private dispatcher?: Promise<Agent>;

  constructor(private readonly options: { ca?: string; proxy?: ProxyAddress }) {}

  /** The dispatcher fetches need (undefined: the global one does). */
  agent(): Promise<Agent> | undefined {
    const { ca, proxy } = this.options;
    if (proxy && !this.dispatcher) {
      this.dispatcher = import('undici').then(({ Agent, buildConnector }) => new Agent({ connect: tunnelConnector(proxy, buildConnector, ca) }));
    } else if (ca && !this.dispatcher) {
      this.dispatcher = import('undici').then(({ Agent }) => new Agent({ connect: { ca } }));
    }
    return this.dispatcher;
  }

  async download(
    message: WAMessage,
    socket: WASocket,
    logger: NonNullable<Parameters<typeof downloadMediaMessage>[3]>['logger'],
  ): Promise<{ stream: Readable; mimetype?: string; fileName?: string }> {
    const dispatcher = await this.agent();
    const options = dispatcher ? { options: { dispatcher } as RequestInit } : {};
    const stream = await downloadMediaMessage(message, 'stream', options, { logger, reuploadRequest: socket.updateMediaMessage });
    // Disappearing and view-once messages wrap the media; look through the wrapper for its details.
    const content = normalizeMessageContent(message.message) ?? {};
    const media = content.imageMessage ?? content.videoMessage ?? content.audioMessage ?? content.documentMessage ?? content.stickerMessage;
    return { stream, mimetype: media?.mimetype ?? undefined, fileName: content.documentMessage?.fileName ?? undefined };
  }

  close(): void {
    void this.dispatcher?.then((agent) => agent.close()).catch(() => undefined);
  }
}
