/**
 * The terminal QR: the drawing is read back module by module and compared with the QR itself, so
 * what a phone would scan is exactly WhatsApp's QR, in both the coloured and the plain drawing.
 */
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { QrPrinter, renderQr } from '../../src/whatsapp/baileys/qr-printer.js';

const b64 = (n: number) => randomBytes(n).toString('base64');
// The shape of a real WhatsApp QR: an 88-character ref and three 32-byte keys (265 characters).
const REAL_SIZED_QR = `https://wa.me/settings/linked_devices#${['2@' + b64(66), b64(32), b64(32), b64(32), '1'].join(',')}`;
const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*[A-Za-z]`, 'g');

/** Reads the drawing back into a dark/light grid, two rows per line. */
function readBack(lines: string[], colour: boolean): boolean[][] {
  const grid: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line.replace(ANSI, '')];
    const upper = chars.map((c) => (colour ? c === '█' || c === '▀' : c === ' ' || c === '▄'));
    const lower = chars.map((c) => (colour ? c === '█' || c === '▄' : c === ' ' || c === '▀'));
    grid.push(upper, lower);
  }
  return grid;
}

describe('renderQr', () => {
  test.each([true, false])("draws exactly the QR's modules, with a 2-module light quiet zone (colour: %s)", (colour) => {
    const lines = renderQr(REAL_SIZED_QR, colour);
    const { modules } = QRCode.create(REAL_SIZED_QR, { errorCorrectionLevel: 'L' });
    const size = modules.size;
    expect(size).toBe(57);
    const expected = Array.from({ length: size + 4 }, (_, r) =>
      Array.from({ length: size + 4 }, (_, c) => {
        const [row, col] = [r - 2, c - 2];
        return row >= 0 && col >= 0 && row < size && col < size && Boolean(modules.get(row, col));
      }),
    );
    expect(readBack(lines, colour).slice(0, size + 4)).toEqual(expected);
  });

  test('fits 80 columns: 61 wide, 31 lines for a real-sized WhatsApp QR', () => {
    const lines = renderQr(REAL_SIZED_QR, false);
    expect(lines).toHaveLength(31);
    for (const line of lines) expect([...line]).toHaveLength(61);
  });

  test('on a terminal every line sets black on white itself, so the theme does not matter', () => {
    for (const line of renderQr(REAL_SIZED_QR, true)) {
      expect(line.startsWith('\x1b[30;47m')).toBe(true);
      expect(line.endsWith('\x1b[0m')).toBe(true);
      expect(line.replace(ANSI, '')).toMatch(/^[ ▀▄█]+$/);
    }
  });

  test('without a terminal no escape codes are written (journald would store them as binary)', () => {
    for (const line of renderQr(REAL_SIZED_QR, false)) expect(line).toMatch(/^[ ▀▄█]+$/);
  });
});

describe('QrPrinter', () => {
  function output(isTTY: boolean, rows?: number) {
    const writes: string[] = [];
    return { writes, out: { isTTY, rows, write: (text: string) => writes.push(text) } };
  }

  test('prints a QR once; the same QR again is not redrawn, a new one is', () => {
    const { writes, out } = output(false);
    const printer = new QrPrinter(out);
    printer.show(REAL_SIZED_QR);
    printer.show(REAL_SIZED_QR);
    expect(writes).toHaveLength(1);
    printer.show(`${REAL_SIZED_QR}x`);
    expect(writes).toHaveLength(2);
  });

  test('on a terminal, each QR replaces the last at the top of the screen', () => {
    const { writes, out } = output(true, 50);
    new QrPrinter(out).show(REAL_SIZED_QR);
    expect(writes[0]!.startsWith('\x1b[H\x1b[2J')).toBe(true);
    const lines = writes[0]!.split('\n').filter(Boolean);
    expect(lines).toHaveLength(33);
    expect(lines.at(-1)).toContain('POST /api/pairing-code');
  });

  test('a terminal too short for the QR is told so on the last line, with the other ways to link', () => {
    const { writes, out } = output(true, 24);
    new QrPrinter(out).show(REAL_SIZED_QR);
    const last = writes[0]!.trimEnd().split('\n').at(-1)!;
    expect(last).toContain('This terminal has 24 lines; the QR needs 33.');
    expect(last).toContain('GET /api/qr?format=png|svg');
  });

  test('journald output has plain text only and a QR under its header', () => {
    const { writes, out } = output(false);
    new QrPrinter(out).show(REAL_SIZED_QR);
    expect(writes[0]).not.toMatch(ANSI);
    expect(writes[0]).toContain('Scan with WhatsApp: Settings > Linked devices > Link a device\n');
  });
});
