/**
 * Opus packets (RFC 6716 §3): a packet's TOC byte and frames, and a code 3 packet built from
 * frames. Frames are copied byte for byte: nothing here decodes or re-encodes audio.
 */

/** Duration of one frame of this TOC configuration, in 48 kHz samples. */
export function samplesPerFrame(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!;
  if (config < 16) return [480, 960][config % 2]!;
  return [120, 240, 480, 960][config % 4]!;
}

function readFrameLength(packet: Buffer, offset: number): { length: number; bytes: number } | null {
  const first = packet[offset];
  if (first === undefined) return null;
  if (first < 252) return { length: first, bytes: 1 };
  const second = packet[offset + 1];
  if (second === undefined) return null;
  return { length: first + 4 * second, bytes: 2 };
}

function writeFrameLength(length: number): number[] {
  if (length < 252) return [length];
  const first = 252 + (length & 3);
  return [first, (length - first) >> 2];
}

/** Splits a packet into its TOC byte and frames; null when it is malformed. */
export function opusFrames(packet: Buffer): { toc: number; frames: Buffer[] } | null {
  const toc = packet[0];
  if (toc === undefined) return null;
  const body = packet.subarray(1);
  switch (toc & 3) {
    case 0:
      return { toc, frames: [body] };
    case 1:
      if (body.length % 2 !== 0) return null;
      return { toc, frames: [body.subarray(0, body.length / 2), body.subarray(body.length / 2)] };
    case 2: {
      const first = readFrameLength(packet, 1);
      if (!first || 1 + first.bytes + first.length > packet.length) return null;
      const start = 1 + first.bytes;
      return { toc, frames: [packet.subarray(start, start + first.length), packet.subarray(start + first.length)] };
    }
    default: {
      const header = packet[1];
      if (header === undefined) return null;
      const count = header & 0x3f;
      if (count === 0) return null;
      let offset = 2;
      let padding = 0;
      if (header & 0x40) {
        for (;;) {
          const value = packet[offset++];
          if (value === undefined) return null;
          padding += value === 255 ? 254 : value;
          if (value !== 255) break;
        }
      }
      const end = packet.length - padding;
      const frames: Buffer[] = [];
      if (header & 0x80) {
        const lengths: number[] = [];
        for (let i = 0; i < count - 1; i++) {
          const length = readFrameLength(packet, offset);
          if (!length) return null;
          lengths.push(length.length);
          offset += length.bytes;
        }
        for (const length of lengths) {
          frames.push(packet.subarray(offset, offset + length));
          offset += length;
        }
        if (offset > end) return null;
        frames.push(packet.subarray(offset, end));
      } else {
        const total = end - offset;
        if (total < 0 || total % count !== 0) return null;
        const size = total / count;
        for (let i = 0; i < count; i++) frames.push(packet.subarray(offset + i * size, offset + (i + 1) * size));
      }
      return { toc, frames };
    }
  }
}

/** A code 3 packet holding `frames` (all of the TOC's configuration); CBR when sizes agree. */
export function code3Packet(toc: number, frames: readonly Buffer[]): Buffer {
  const sameSize = frames.every((f) => f.length === frames[0]?.length);
  const header = [(toc & 0xfc) | 3, (sameSize ? 0 : 0x80) | frames.length];
  if (!sameSize) for (const frame of frames.slice(0, -1)) header.push(...writeFrameLength(frame.length));
  return Buffer.concat([Buffer.from(header), ...frames]);
}
