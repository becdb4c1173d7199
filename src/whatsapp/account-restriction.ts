/** A restriction WhatsApp put on the account, as the adapter reports it (a 463 error ack). */
export interface AccountRestriction {
  /** WhatsApp's error code (463: reach-out timelock). */
  code: number;
  reason: string;
  /** The message whose ack revealed it. */
  messageId: string;
  /** When WhatsApp lifts it, if it said so; otherwise the gateway assumes a default. */
  until?: string;
  at: string;
}
