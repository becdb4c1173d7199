/**
 * The pairing codes companions asked for, and the phone typing one: the stateful half of
 * pairing-code.ts. One attempt per code, as on the phone: after a wrong code the companion must
 * ask for a new one.
 */
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ClientConnection } from './client-connection.js';
import {
  errorNode,
  helloResultNode,
  linkCodeChild,
  openKeyBundle,
  PairingCodeRefusal,
  parseCompanionFinish,
  parseCompanionHello,
  primaryHello,
  type CompanionFinish,
  type CompanionHello,
  type OpenedKeyBundle,
} from './pairing-code.js';

interface PendingCode {
  connection: ClientConnection;
  hello: CompanionHello;
  /** Set while the phone waits for the companion's finish after a code was typed. */
  onFinish?: (finish: CompanionFinish) => void;
}

export interface CodePairingHooks {
  /** The account's identity key: the primary device's, which signs linked devices. */
  primaryIdentity: KeyPair;
  /** The Noise key a registering connection presented, or undefined when it is not registering. */
  registeringNoiseKey(connection: ClientConnection): Buffer | undefined;
  logger: Logger;
}

export class CodePairings {
  private readonly pending: PendingCode[] = [];
  private refusal?: PairingCodeRefusal;
  /** companion_hello requests accepted so far. */
  accepted = 0;

  constructor(private readonly hooks: CodePairingHooks) {}

  /** From now on, companion_hello gets this error (as WhatsApp's rate limits do); undefined to stop. */
  refuse(refusal: { code: number; text: string } | undefined): void {
    this.refusal = refusal ? new PairingCodeRefusal(refusal.code, refusal.text) : undefined;
  }

  /** The iq answer to a `link_code_companion_reg` iq, or undefined when the iq is something else. */
  answer(connection: ClientConnection, iq: BinaryNode): BinaryNode | undefined {
    const reg = linkCodeChild(iq);
    if (!reg) return undefined;
    const id = iq.attrs.id ?? '';
    try {
      if (reg.attrs.stage === 'companion_hello') return helloResultNode(id, this.acceptHello(connection, reg));
      if (reg.attrs.stage === 'companion_finish') {
        this.relayFinish(parseCompanionFinish(reg));
        return { tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'result', id } };
      }
      throw new PairingCodeRefusal(400, 'bad-request');
    } catch (error) {
      if (!(error instanceof PairingCodeRefusal)) throw error;
      this.hooks.logger.info({ stage: reg.attrs.stage, code: error.code, text: error.text }, 'refusing link_code_companion_reg');
      return errorNode(id, error);
    }
  }

  /**
   * The phone of `phone` types `code`: unwraps the companion's key, sends its own half, waits for
   * the companion's finish and opens it. Rejects on a wrong code (the pairing does not complete and
   * the code is spent) or when no companion asked for a code for this phone. `complete` signs the
   * companion in (pair-success) once the phone has opened its key bundle.
   */
  async enter(
    phoneJid: string,
    code: string,
    timeoutMs: number,
    complete: (connection: ClientConnection, keys: OpenedKeyBundle) => Promise<void>,
  ): Promise<void> {
    const entry = [...this.pending].reverse().find((p) => p.hello.jid === phoneJid && p.connection.isOpen);
    if (!entry) throw new Error(`no companion is waiting for a pairing code for ${phoneJid}`);
    if (entry.onFinish) throw new Error('a code for this companion is already being checked');
    const { half, notification } = await primaryHello(code, entry.hello, this.hooks.primaryIdentity);
    const finish = new Promise<CompanionFinish>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the companion sent no companion_finish within ${timeoutMs} ms`)), timeoutMs);
      entry.onFinish = (received) => {
        clearTimeout(timer);
        resolve(received);
      };
    });
    try {
      entry.connection.send(notification);
      const keys = openKeyBundle(await finish, half, this.hooks.primaryIdentity);
      await complete(entry.connection, keys);
    } finally {
      this.remove(entry);
    }
  }

  /** Forgets the codes of a connection that closed or paired by other means. */
  forget(connection: ClientConnection): void {
    for (const entry of this.pending.filter((p) => p.connection === connection)) this.remove(entry);
  }

  private acceptHello(connection: ClientConnection, reg: BinaryNode): Buffer {
    const noiseKey = this.hooks.registeringNoiseKey(connection);
    if (!noiseKey) throw new PairingCodeRefusal(400, 'bad-request');
    const hello = parseCompanionHello(reg);
    if (!hello.noiseKey.equals(noiseKey)) throw new PairingCodeRefusal(400, 'bad-request');
    if (this.refusal) throw this.refusal;
    // A new code supersedes the connection's earlier one.
    this.forget(connection);
    this.pending.push({ connection, hello });
    this.accepted += 1;
    this.hooks.logger.info({ jid: hello.jid, display: hello.platformDisplay }, 'pairing code requested');
    return hello.ref;
  }

  private relayFinish(finish: CompanionFinish): void {
    const entry = this.pending.find((p) => p.hello.ref.equals(finish.ref));
    if (!entry) throw new PairingCodeRefusal(404, 'item-not-found');
    entry.onFinish?.(finish);
  }

  private remove(entry: PendingCode): void {
    const index = this.pending.indexOf(entry);
    if (index >= 0) this.pending.splice(index, 1);
  }
}
