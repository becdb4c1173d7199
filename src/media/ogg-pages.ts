/**
 * Ogg pages (RFC 3533): reading a file's packets page by page with every checksum checked, and
 * writing packets onto fresh pages. Knows nothing of Opus; ogg-opus.ts reads what the packets say.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { randomInt } from 'node:crypto';

const OGG_MAGIC = 0x4f676753; // "OggS"
const FLAG_CONTINUED = 0x01;
export const FLAG_BOS = 0x02;
export const FLAG_EOS = 0x04;
const READ_CHUNK = 64 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc >>> 0;
}

export interface OggPacket {
  data: Buffer;
  serial: number;
  /** Granule of the page on which this packet ends; meaningful for a page's last packet. */
  pageGranule: bigint;
  lastOnPage: boolean;
  pageFlags: number;
}

export class OggFormatError extends Error {}

/** Streams the packets of an Ogg file page by page, checking every page's CRC. */
export async function* readOggPackets(path: string): AsyncGenerator<OggPacket> {
  const file = await open(path, 'r');
  try {
    let buffered = Buffer.alloc(0);
    let eof = false;
    let pending: Buffer[] = [];
    const fill = async (needed: number): Promise<boolean> => {
      while (buffered.length < needed && !eof) {
        const chunk = Buffer.alloc(READ_CHUNK);
        const { bytesRead } = await file.read(chunk, 0, READ_CHUNK, null);
        if (bytesRead === 0) eof = true;
        else buffered = Buffer.concat([buffered, chunk.subarray(0, bytesRead)]);
      }
      return buffered.length >= needed;
    };
    for (;;) {
      if (!(await fill(27))) {
        if (buffered.length > 0) throw new OggFormatError('trailing bytes after the last Ogg page');
        return;
      }
      if (buffered.readUInt32BE(0) !== OGG_MAGIC || buffered[4] !== 0) throw new OggFormatError('not an Ogg page');
      const segments = buffered[26] ?? 0;
      if (!(await fill(27 + segments))) throw new OggFormatError('truncated Ogg page header');
      const lacing = buffered.subarray(27, 27 + segments);
      const bodyLength = lacing.reduce((sum, v) => sum + v, 0);
      const pageLength = 27 + segments + bodyLength;
      if (!(await fill(pageLength))) throw new OggFormatError('truncated Ogg page');
      const page = Buffer.from(buffered.subarray(0, pageLength));
      buffered = buffered.subarray(pageLength);

      const storedCrc = page.readUInt32LE(22);
      page.writeUInt32LE(0, 22);
      if (oggCrc(page) !== storedCrc) throw new OggFormatError('Ogg page checksum mismatch');

      const flags = page[5] ?? 0;
      const granule = page.readBigInt64LE(6);
      const serial = page.readUInt32LE(14);
      if (!(flags & FLAG_CONTINUED) && pending.length > 0) throw new OggFormatError('packet cut short between pages');
      let offset = 27 + segments;
      const completed: Buffer[] = [];
      for (const value of lacing) {
        pending.push(page.subarray(offset, offset + value));
        offset += value;
        if (value < 255) {
          completed.push(Buffer.concat(pending));
          pending = [];
        }
      }
      for (let i = 0; i < completed.length; i++) {
        yield { data: completed[i]!, serial, pageGranule: granule, lastOnPage: i === completed.length - 1, pageFlags: flags };
      }
    }
  } finally {
    await file.close();
  }
}

/** Writes packets onto Ogg pages of one logical stream (a random serial), numbering and checksumming each page. */
export class OggPageWriter {
  private sequence = 0;
  private readonly serial = randomInt(0, 2 ** 32);
  private packets: Buffer[] = [];
  private segmentCount = 0;

  constructor(private readonly file: FileHandle) {}

  /** True when the packet fits on the current page (255 lacing values at most). */
  fits(packet: Buffer): boolean {
    return this.segmentCount + Math.floor(packet.length / 255) + 1 <= 255;
  }

  add(packet: Buffer): void {
    if (Math.floor(packet.length / 255) + 1 > 255) throw new OggFormatError('packet too large for one page');
    this.packets.push(packet);
    this.segmentCount += Math.floor(packet.length / 255) + 1;
  }

  get empty(): boolean {
    return this.packets.length === 0;
  }

  async flush(granule: bigint, flags: number): Promise<void> {
    const lacing: number[] = [];
    for (const packet of this.packets) {
      for (let left = packet.length; ; left -= 255) {
        lacing.push(Math.min(left, 255));
        if (left < 255) break;
      }
    }
    const header = Buffer.alloc(27 + lacing.length);
    header.writeUInt32BE(OGG_MAGIC, 0);
    header[4] = 0;
    header[5] = flags;
    header.writeBigInt64LE(granule, 6);
    header.writeUInt32LE(this.serial, 14);
    header.writeUInt32LE(this.sequence++, 18);
    header[26] = lacing.length;
    Buffer.from(lacing).copy(header, 27);
    const page = Buffer.concat([header, ...this.packets]);
    page.writeUInt32LE(oggCrc(page), 22);
    await this.file.write(page);
    this.packets = [];
    this.segmentCount = 0;
  }
}
