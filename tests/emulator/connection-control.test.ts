import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { Client, pairAndLogin } from './baileys-client.js';

describe('emulator: kicking, dropping and going away', () => {
  let emu: Emulator;
  let restoreTimers: () => void;
  const clients = new Set<Client>();

  /** Logs the companion paired in this emulator back in with its saved creds. */
  async function relogin(from: Client): Promise<Client> {
    const client = await Client.connect(emu, from.authDir);
    clients.add(client);
    return client;
  }

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator();
  });

  afterAll(async () => {
    for (const client of clients) await client.end();
    for (const client of clients) await client.dispose();
    await emu.stop();
    restoreTimers();
  });

  let paired: Client;
  beforeEach(async () => {
    if (paired && !emu.pairedDevices().find((d) => d.jid === paired.sock.authState.creds.me?.id)?.removed) return;
    paired = await pairAndLogin(emu);
    clients.add(paired);
  });

  test('515 restart: Baileys closes with restartRequired and logs back in', async () => {
    await paired.waitForOpen();
    expect(emu.kick(515)).toBe(1);
    expect(await paired.waitForClose()).toBe(515);
    const again = await relogin(paired);
    await again.waitForOpen();
    paired = again;
  });

  test('440: the session is replaced', async () => {
    await paired.waitForOpen();
    emu.kick(440);
    expect(await paired.waitForClose()).toBe(440);
    paired = await relogin(paired);
    await paired.waitForOpen();
  });

  test('a second login of the same device replaces the first with 440, and is counted as an overlap', async () => {
    await paired.waitForOpen();
    const overlaps = emu.overlappingLogins;
    const second = await relogin(paired);
    await second.waitForOpen();
    expect(await paired.waitForClose()).toBe(440);
    expect(emu.overlappingLogins).toBe(overlaps + 1);
    paired = second;
  });

  test('abrupt drop: Baileys reports connectionClosed (428), and can log in again', async () => {
    await paired.waitForOpen();
    expect(emu.dropConnections()).toBeGreaterThan(0);
    expect(await paired.waitForClose()).toBe(428);
    paired = await relogin(paired);
    await paired.waitForOpen();
  });

  test('go away and come back on the same port, keeping devices and sessions', async () => {
    await paired.waitForOpen();
    const url = emu.wsUrl;
    await emu.goAway();
    expect(await paired.waitForClose()).toBe(428);
    expect(emu.connections).toBe(0);
    const refused = await relogin(paired);
    expect(await refused.waitForClose()).toBeDefined();
    await emu.comeBack();
    expect(emu.wsUrl).toBe(url);
    paired = await relogin(paired);
    await paired.waitForOpen();
    const sent = await paired.sock.sendMessage('6281234567890@s.whatsapp.net', { text: 'after coming back' });
    await expect(emu.waitForMessage((m) => m.id === sent!.key.id && !m.isOwnDeviceCopy)).resolves.toMatchObject({ text: 'after coming back' });
  });

  test('401 device_removed: loggedOut, and the next login gets <failure reason=401>', async () => {
    await paired.waitForOpen();
    emu.kick(401);
    expect(await paired.waitForClose()).toBe(401);
    expect(emu.pairedDevices().find((d) => d.jid === paired.sock.authState.creds.me?.id)?.removed).toBe(true);
    const refused = await relogin(paired);
    expect(await refused.waitForClose()).toBe(401);
  });

  test('sock.logout() unlinks the device on the server', async () => {
    await paired.waitForOpen();
    const jid = paired.sock.authState.creds.me!.id;
    await paired.sock.logout();
    expect(await paired.waitForClose()).toBe(401);
    await expect(waitUntil(() => emu.pairedDevices().find((d) => d.jid === jid)?.removed === true)).resolves.toBe(true);
    const refused = await relogin(paired);
    expect(await refused.waitForClose()).toBe(401);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
