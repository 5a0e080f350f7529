/**
 * How a QEMU VM is networked.
 *
 * - `user` (default): QEMU's user-mode network (slirp). The guest is 10.0.2.15 behind NAT and
 *   reaches nothing inbound except the guest ports forwarded to loopback ports at creation.
 * - `bridge`: the guest's NIC is a tap device QEMU's `qemu-bridge-helper` creates and adds to an
 *   existing bridge named in the configuration (`-netdev bridge,br=<name>`), so the guest gets a
 *   real address on that network (from its DHCP server). hvkube learns the address from the guest
 *   agent (the interface with the VM's MAC), or else from the host's neighbour table (the guest's
 *   MAC in /proc/net/arp), and answers the guest's own address and port as its endpoint.
 *
 * The choice and the MAC are stored in the VM's definition at creation: the command line of a
 * resume must be the one the VM was saved with.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HvkubeError } from '../../../domain/errors.js';

export type NetworkMode = 'user' | 'bridge';

/** The backend's network setting (`qemu.network` in the configuration). */
export interface NetworkConfig {
  mode: NetworkMode;
  /** The existing bridge a `bridge`-mode VM joins, e.g. `br0`. */
  bridge?: string;
}

/** What a VM's definition records. */
export type VmNetwork =
  | { mode: 'user' }
  | {
    mode: 'bridge';
    bridge: string;
    /** Fixed at creation, so the guest keeps its DHCP lease across save and resume. */
    mac: string;
    /** The guest ports the host may reach (answered at the guest's own address). */
    ports: number[];
  };

/** Linux interface names: at most 15 bytes; letters, digits and `_.-` (no `/`, `,`, `=` or spaces). */
export const BRIDGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** Checks the setting: a bridge name is required in bridge mode and must be a plain interface name. */
export function resolveNetwork(config: NetworkConfig | undefined): NetworkConfig {
  if (!config || config.mode === 'user') {
    if (config?.bridge !== undefined) throw invalid('qemu.network.bridge is only used with mode "bridge"');
    return { mode: 'user' };
  }
  if (config.mode !== 'bridge') throw invalid(`qemu.network.mode ${JSON.stringify(config.mode)} is unknown: use "user" or "bridge"`);
  if (typeof config.bridge !== 'string' || !BRIDGE_NAME.test(config.bridge)) {
    throw invalid(`qemu.network.bridge ${JSON.stringify(config.bridge)} is not a bridge name`, {
      hint: 'name an existing bridge, e.g. "br0" (1-15 letters, digits, "_", "." or "-")',
    });
  }
  return { mode: 'bridge', bridge: config.bridge };
}

/** The network a new VM gets: its MAC is derived from the VM's id (locally administered, QEMU's 52:54:00 prefix). */
export function vmNetworkFor(config: NetworkConfig, vmId: string, guestPorts: number[]): VmNetwork {
  if (config.mode === 'user' || !config.bridge) return { mode: 'user' };
  return { mode: 'bridge', bridge: config.bridge, mac: macFor(vmId), ports: [...new Set(guestPorts)] };
}

export function macFor(vmId: string): string {
  const bytes = createHash('sha256').update(vmId).digest().subarray(0, 3);
  return ['52', '54', '00', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The `-netdev` and NIC arguments. User mode is exactly what VMs created before networks were
 * configurable were started with, so their saved states still resume.
 */
export function networkArgs(network: VmNetwork | undefined, forwards: { guestPort: number; hostPort: number }[], nicModel = 'virtio-net-pci'): string[] {
  // romfile= avoids needing the iPXE ROM package; the guest never network-boots.
  if (!network || network.mode === 'user') {
    const hostfwd = forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
    return ['-netdev', `user,id=net0${hostfwd}`, '-device', `${nicModel},netdev=net0,id=nic0,romfile=`];
  }
  if (!BRIDGE_NAME.test(network.bridge)) throw invalid(`bridge name ${JSON.stringify(network.bridge)} in the VM definition is not valid`);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(network.mac)) throw invalid(`MAC ${JSON.stringify(network.mac)} in the VM definition is not valid`);
  return ['-netdev', `bridge,id=net0,br=${network.bridge}`, '-device', `${nicModel},netdev=net0,id=nic0,mac=${network.mac},romfile=`];
}

/** The IPv4 address the host's neighbour table (/proc/net/arp text) has for `mac`, or null. */
export function arpAddress(arpTable: string, mac: string): string | null {
  const wanted = mac.toLowerCase();
  for (const line of arpTable.split(/\r?\n/).slice(1)) {
    const [ip, , flags, hw] = line.trim().split(/\s+/);
    // Flags 0x0 is an incomplete entry (no answer from that address).
    if (ip && hw?.toLowerCase() === wanted && flags !== '0x0') return ip;
  }
  return null;
}

export async function addressFromArp(mac: string, file = '/proc/net/arp'): Promise<string | null> {
  return arpAddress(await readFile(file, 'utf8').catch(() => ''), mac);
}

/** The first IPv4 address of the guest interface whose MAC is `mac`. */
export function addressOfMac(interfaces: { mac: string | null; ipv4: string[] }[], mac: string): string | null {
  return interfaces.find((i) => i.mac === mac.toLowerCase())?.ipv4[0] ?? null;
}

function invalid(message: string, extra: { hint?: string } = {}): HvkubeError {
  return new HvkubeError('INVALID_INPUT', message, extra);
}
