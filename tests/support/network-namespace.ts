/**
 * A Linux network namespace for one test file (`ip netns`, needs root): a process started inside
 * sees only the veth links made here, each a /30 from a random 10.x.y.z/29 whose host side is an
 * address of this machine. Setting a link down cuts the namespace off from whatever listens on that
 * link's host address, with no RST and no error (packets vanish, as on a partitioned network),
 * while the other links stay up.
 *
 * Names are random (`wgw-` and 8 hex digits; veth devices `wgw<hex><i>h`/`…n`), so leftovers of a
 * crashed run never collide with a new one. remove() deletes the namespace (which destroys the
 * namespace ends of the veth pairs, and so the pairs) and any host end still there; it also runs
 * at process exit if the test file never reached its afterAll. Creation failing (not root, no
 * `ip`) throws with the command's own message: a test of the partition must not pass without one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VethLink {
  /** This machine's address on the link (listen here to be reachable from the namespace). */
  hostAddress: string;
  /** The namespace's address on the link. */
  namespaceAddress: string;
  /** The /30 both addresses are in, e.g. `10.77.3.4/30`. */
  network: string;
  /** Cuts the link: the host end goes down, and what the namespace sends over it is dropped. */
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface NetworkNamespace {
  name: string;
  links: VethLink[];
  /** The argv that runs `command` inside the namespace (for spawn). */
  command(command: string, args: string[]): [string, string[]];
  remove(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message} (network namespaces need root and iproute2)`, { cause: error });
  }
}

/** The IPv4 addresses this machine has now, so a random subnet never overlaps one in use. */
async function addressesInUse(): Promise<string[]> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
  return [...stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
}

/** A free 10.x.y.z/29: room for two /30 links. */
async function freeBlock(): Promise<[number, number, number]> {
  const used = await addressesInUse();
  for (;;) {
    const block: [number, number, number] = [randomInt(64, 255), randomInt(0, 256), randomInt(0, 32) * 8];
    const prefix = `10.${block[0]}.${block[1]}.`;
    const clash = used.some((a) => a.startsWith(prefix) && Math.floor(Number(a.slice(prefix.length)) / 8) * 8 === block[2]);
    if (!clash) return block;
  }
}

function deleteNow(name: string, hostDevices: string[]): void {
  for (const args of [['netns', 'delete', name], ...hostDevices.map((d) => ['link', 'delete', d])]) {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/** Creates the namespace with `linkCount` (1 or 2) veth links to this machine. */
export async function createNetworkNamespace(linkCount: 1 | 2): Promise<NetworkNamespace> {
  const tag = randomBytes(4).toString('hex');
  const name = `wgw-${tag}`;
  const hostDevices = Array.from({ length: linkCount }, (_, i) => `wgw${tag}${i}h`);
  const onExit = () => deleteNow(name, hostDevices);
  process.once('exit', onExit);
  const remove = async () => {
    process.off('exit', onExit);
    deleteNow(name, hostDevices);
    return Promise.resolve();
  };
  try {
    await ip(['netns', 'add', name]);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    const [x, y, z] = await freeBlock();
    const links: VethLink[] = [];
    for (const [i, hostDevice] of hostDevices.entries()) {
      const inner = `wgw${tag}${i}n`;
      const base = z + i * 4;
      const hostAddress = `10.${x}.${y}.${base + 1}`;
      const namespaceAddress = `10.${x}.${y}.${base + 2}`;
      await ip(['link', 'add', hostDevice, 'type', 'veth', 'peer', 'name', inner]);
      await ip(['link', 'set', inner, 'netns', name]);
      await ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostDevice]);
      await ip(['-n', name, 'addr', 'add', `${namespaceAddress}/30`, 'dev', inner]);
      await ip(['link', 'set', hostDevice, 'up']);
      await ip(['-n', name, 'link', 'set', inner, 'up']);
      links.push({
        hostAddress,
        namespaceAddress,
        network: `10.${x}.${y}.${base}/30`,
        down: () => ip(['link', 'set', hostDevice, 'down']),
        up: () => ip(['link', 'set', hostDevice, 'up']),
      });
    }
    return { name, links, command: (command, args) => ['ip', ['netns', 'exec', name, command, ...args]], remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
