/** Draws the pairing QR in the terminal (and so in journald), as v2.0.0 operators expect. */
import qrcodeTerminal from 'qrcode-terminal';

export function printQrToTerminal(qr: string, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  qrcodeTerminal.generate(qr, { small: true }, (art: string) => {
    write(`\nScan this QR with WhatsApp > Settings > Linked devices > Link a device:\n${art}\n`);
  });
}
