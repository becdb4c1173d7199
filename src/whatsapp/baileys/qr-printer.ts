/**
 * Draws the pairing QR in the terminal (and so in journald), as v2.0.0 operators expect.
 *
 * Compact: two QR rows per text line (upper/lower half blocks), error correction L (the fewest
 * modules: a screen has no smudges to correct) and a 2-module quiet zone. WhatsApp's QR holds about
 * 265 bytes, a version-10 code of 57×57 modules: 61 columns by 31 lines, plus one line above and
 * one below. That is as small as a scannable text QR gets; a 24-line terminal cannot show it whole,
 * which is what the PNG/SVG at GET /api/qr and the pairing code are for (the last line says so).
 *
 * Light and dark terminals: scanners want dark modules on a light ground, quiet zone included.
 * - On a terminal (TTY), every line sets black on white itself (ANSI 30;47), so the QR looks the
 *   same whatever the theme, and each new QR replaces the old one at the top of the screen (home +
 *   erase) instead of stacking copies every 20 s until the current one scrolls away.
 * - Without a TTY (journald, a file), escape codes would be stored as binary ("[blob data]" in
 *   journalctl), so plain characters are drawn with the light modules as full blocks: right on the
 *   dark terminals journalctl is mostly read on. On a light one, use the image or the code.
 */
import type QRCodeModule from 'qrcode';
import { loadOnFirstUse } from '../../load-on-first-use.js';

/** Loaded with the first QR drawn: a gateway that starts linked never loads it (idle memory). */
const QRCode = loadOnFirstUse<typeof QRCodeModule>('qrcode');

export interface QrOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  rows?: number;
}

const QUIET_ZONE = 2;
const BLACK_ON_WHITE = '\x1b[30;47m';
const RESET = '\x1b[0m';
const HOME_AND_ERASE = '\x1b[H\x1b[2J';

const HEADER = 'Scan with WhatsApp: Settings > Linked devices > Link a device';
const FOOTER = 'Also as an image: GET /api/qr?format=png|svg. Or link by code: POST /api/pairing-code';

/**
 * The QR as text lines. `colour`: dark modules drawn in the foreground on explicit black-on-white;
 * without it, light modules are drawn as blocks (for a dark terminal).
 */
export function renderQr(text: string, colour: boolean): string[] {
  const { modules } = QRCode().create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const dark = (row: number, col: number): boolean => row >= 0 && col >= 0 && row < size && col < size && Boolean(modules.get(row, col));
  // Index: upper module dark (2) + lower module dark (1).
  const glyphs = colour ? [' ', '▄', '▀', '█'] : ['█', '▀', '▄', ' '];
  const lines: string[] = [];
  for (let row = -QUIET_ZONE; row < size + QUIET_ZONE; row += 2) {
    let line = '';
    for (let col = -QUIET_ZONE; col < size + QUIET_ZONE; col++) {
      line += glyphs[(dark(row, col) ? 2 : 0) + (dark(row + 1, col) ? 1 : 0)];
    }
    lines.push(colour ? BLACK_ON_WHITE + line + RESET : line);
  }
  return lines;
}

/** Prints each new QR once: a QR shown again (e.g. after a refused pairing code) is not redrawn. */
export class QrPrinter {
  private last?: string;

  constructor(private readonly out: QrOutput = process.stdout) {}

  show(qr: string): void {
    if (qr === this.last) return;
    this.last = qr;
    const tty = this.out.isTTY === true;
    const lines = renderQr(qr, tty);
    const needed = lines.length + 2;
    const footer =
      tty && this.out.rows !== undefined && this.out.rows < needed ? `This terminal has ${this.out.rows} lines; the QR needs ${needed}. ${FOOTER}` : FOOTER;
    this.out.write(`${tty ? HOME_AND_ERASE : '\n'}${HEADER}\n${lines.join('\n')}\n${footer}\n`);
  }
}
