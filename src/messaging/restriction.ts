/** A restriction in force on the account, as the gateway keeps and reports it (no imports: vocabulary). */
export interface ActiveRestriction {
  code: number;
  reason: string;
  since: string;
  until: string;
  /** False when WhatsApp did not say when it ends and `until` is the gateway's assumption. */
  untilFromWhatsApp: boolean;
}
