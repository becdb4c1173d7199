export { startEmulator, type ClientReceipt, type Emulator, type EmulatorOptions, type KickCode, type ReceiptType } from './emulator.js';
export type { AckAction, AckRule } from './acks.js';
export type { AccountOptions, ContactOptions } from './directory.js';
export type { IncomingMessageOptions } from './inbound-message.js';
export type { LinkedDeviceInfo } from './paired-devices.js';
export type { MessageKind, ReceivedMedia, ReceivedMessage } from './received-message.js';
export { unrefBaileysTimers } from './unref-baileys-timers.js';
