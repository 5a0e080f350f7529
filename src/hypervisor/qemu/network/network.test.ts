/**
 * Networking of QEMU VMs: the setting's validation, the command line of each mode (user mode as
 * it always was, so saved VMs still resume), the guest's address from the neighbour table, and
 * the endpoint answers of both modes. A real bridge is not needed for these.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HvkubeError } from '../../../domain/errors.js';
import { GUEST_AGENT_PORT_NAME } from '../guest-agent/command-line.js';
import { createQemuHypervisor } from '../index.js';
import { qemuArgs } from '../qemu-command-line.js';
import { tempDir } from '../qemu-test-helpers.js';
import { vmPaths, type VmDefinition } from '../vm-definition.js';
import { addressOfMac, arpAddress, macFor, networkArgs, resolveNetwork, vmNetworkFor } from './network.js';

const def: VmDefinition = {
  version: 1, id: 'id-1', name: 'vm1', accel: 'tcg', machine: 'q35', cpuModel: 'qemu64', memoryMb: 128, cpus: 1,
  diskPath: '/img/disk.qcow2', diskFormat: 'qcow2', boot: null,
  forwards: [{ guestPort: 3389, hostPort: 40001 }, { guestPort: 8000, hostPort: 40002 }], vncDisplay: null, createdAt: '',
};
const paths = vmPaths('/data/qemu', '/tmp/hvk-x', 'vm1');

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof HvkubeError ? e.code : 'other';
  }
}

describe('network setting', () => {
  it('defaults to user mode and takes a plain bridge name', () => {
    expect(resolveNetwork(undefined)).toEqual({ mode: 'user' });
    expect(resolveNetwork({ mode: 'user' })).toEqual({ mode: 'user' });
    expect(resolveNetwork({ mode: 'bridge', bridge: 'br0' })).toEqual({ mode: 'bridge', bridge: 'br0' });
    expect(resolveNetwork({ mode: 'bridge', bridge: 'virbr-lan.10' })).toEqual({ mode: 'bridge', bridge: 'virbr-lan.10' });
  });

  it('refuses bridge names that would add QEMU options or are no interface names', () => {
    for (const bridge of ['br0,helper=/tmp/evil', 'br0,script=/tmp/x', 'br 0', '', '-br0', '../br0', 'br/0', 'a'.repeat(16), 'br0\n', 'br0=1']) {
      expect(code(() => resolveNetwork({ mode: 'bridge', bridge })), JSON.stringify(bridge)).toBe('INVALID_INPUT');
    }
    expect(code(() => resolveNetwork({ mode: 'bridge' }))).toBe('INVALID_INPUT');
    expect(code(() => resolveNetwork({ mode: 'user', bridge: 'br0' }))).toBe('INVALID_INPUT');
    expect(code(() => resolveNetwork({ mode: 'tap' as 'user' }))).toBe('INVALID_INPUT');
    expect(code(() => createQemuHypervisor({ dataDir: '/tmp/x', network: { mode: 'bridge', bridge: 'br0,x=y' } }))).toBe('INVALID_INPUT');
  });

  it('gives each VM a stable locally administered MAC of its own', () => {
    expect(macFor('id-1')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(macFor('id-1')).toBe(macFor('id-1'));
    expect(macFor('id-1')).not.toBe(macFor('id-2'));
    expect(vmNetworkFor({ mode: 'bridge', bridge: 'br0' }, 'id-1', [3389, 3389, 8000])).toEqual({ mode: 'bridge', bridge: 'br0', mac: macFor('id-1'), ports: [3389, 8000] });
    expect(vmNetworkFor({ mode: 'user' }, 'id-1', [3389])).toEqual({ mode: 'user' });
  });
});

describe('network on the command line', () => {
  it('keeps user mode exactly as VMs were always started, so their saved states resume', () => {
    expect(networkArgs(undefined, def.forwards)).toEqual([
      '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40001-:3389,hostfwd=tcp:127.0.0.1:40002-:8000',
      '-device', 'virtio-net-pci,netdev=net0,id=nic0,romfile=',
    ]);
    expect(networkArgs({ mode: 'user' }, def.forwards)).toEqual(networkArgs(undefined, def.forwards));
    const args = qemuArgs(def, paths, { incoming: false });
    expect(args).not.toContain(`virtserialport,chardev=qga0,name=${GUEST_AGENT_PORT_NAME},id=qgaport`);
  });

  it('joins the named bridge with the VM\'s MAC and forwards nothing in bridge mode', () => {
    const network = { mode: 'bridge' as const, bridge: 'br0', mac: '52:54:00:aa:bb:cc', ports: [3389] };
    const args = qemuArgs({ ...def, forwards: [], network }, paths, { incoming: false });
    const at = args.indexOf('-netdev');
    expect(args.slice(at, at + 4)).toEqual(['-netdev', 'bridge,id=net0,br=br0', '-device', 'virtio-net-pci,netdev=net0,id=nic0,mac=52:54:00:aa:bb:cc,romfile=']);
    expect(args.join(' ')).not.toContain('hostfwd');
    // A definition edited by hand cannot smuggle options in either.
    expect(code(() => networkArgs({ ...network, bridge: 'br0,helper=/x' }, []))).toBe('INVALID_INPUT');
    expect(code(() => networkArgs({ ...network, mac: '52:54:00:aa:bb:cc,x=1' }, []))).toBe('INVALID_INPUT');
  });

  it('adds the guest agent port on the virtio-serial bus, the same for boot and resume', () => {
    const withAgent = { ...def, guestAgent: true };
    const boot = qemuArgs(withAgent, paths, { incoming: false });
    const resume = qemuArgs(withAgent, paths, { incoming: true });
    expect(resume.slice(0, boot.length)).toEqual(boot);
    const chardev = boot.indexOf('socket,id=qga0,path=/tmp/hvk-x/vm1.qga,server=on,wait=off');
    expect(chardev).toBeGreaterThan(0);
    expect(boot[chardev + 2]).toBe(`virtserialport,chardev=qga0,name=${GUEST_AGENT_PORT_NAME},id=qgaport`);
    expect(boot.indexOf('virtio-serial-pci,id=vser')).toBeLessThan(chardev);
  });
});

describe('the guest address in bridge mode', () => {
  const arp = [
    'IP address       HW type     Flags       HW address            Mask     Device',
    '192.168.50.1     0x1         0x2         52:54:00:00:00:01     *        br0',
    '192.168.50.77    0x1         0x0         52:54:00:aa:bb:cc     *        br0',
    '192.168.50.23    0x1         0x2         52:54:00:AA:BB:CC     *        br0',
  ].join('\n');

  it('comes from the neighbour table by MAC, skipping incomplete entries', () => {
    expect(arpAddress(arp, '52:54:00:aa:bb:cc')).toBe('192.168.50.23');
    expect(arpAddress(arp, '52:54:00:dd:ee:ff')).toBeNull();
    expect(arpAddress('', '52:54:00:aa:bb:cc')).toBeNull();
  });

  it('comes from the agent\'s interface with the VM\'s MAC, not any other', () => {
    const interfaces = [
      { mac: null, ipv4: ['127.0.0.1'] },
      { mac: '52:54:00:11:22:33', ipv4: ['10.9.0.5'] },
      { mac: '52:54:00:aa:bb:cc', ipv4: ['192.168.50.23'] },
    ];
    expect(addressOfMac(interfaces, '52:54:00:AA:BB:CC')).toBe('192.168.50.23');
    expect(addressOfMac(interfaces, '52:54:00:00:00:00')).toBeNull();
  });
});

describe('endpoint answers', () => {
  let data: { dir: string; cleanup(): void };

  beforeEach(() => {
    data = tempDir('hvk-qemu-net-');
    writeFileSync(path.join(data.dir, 'base.qcow2'), '');
  });

  afterEach(() => data.cleanup());

  const spec = (dir: string, name: string) => ({
    name, diskPath: path.join(dir, 'base.qcow2'), memoryMb: 128, cpus: 1, gpu: false, guestPorts: [3389, 8000], boot: null,
  });

  it('bridge mode: the guest\'s own address and port, for the ports the VM was made with', async () => {
    const hv = createQemuHypervisor({ dataDir: data.dir, accel: 'tcg', network: { mode: 'bridge', bridge: 'br0' } });
    await hv.createVm(spec(data.dir, 'vm-b'));
    // Off: no address yet, so no endpoint.
    expect(await hv.guestAddress('vm-b')).toBeNull();
    expect(await hv.guestEndpoint('vm-b', 3389)).toBeNull();
    vi.spyOn(hv, 'guestAddress').mockResolvedValue('192.168.50.23');
    expect(await hv.guestEndpoint('vm-b', 3389)).toEqual({ host: '192.168.50.23', port: 3389 });
    expect(await hv.guestEndpoint('vm-b', 8000)).toEqual({ host: '192.168.50.23', port: 8000 });
    expect(await hv.guestEndpoint('vm-b', 22)).toBeNull();
    await hv.close();
  });

  it('user mode: a forwarded loopback port per guest port, as before', async () => {
    const hv = createQemuHypervisor({ dataDir: data.dir, accel: 'tcg' });
    await hv.createVm(spec(data.dir, 'vm-u'));
    const rdp = await hv.guestEndpoint('vm-u', 3389);
    expect(rdp?.host).toBe('127.0.0.1');
    expect(rdp?.port).toBeGreaterThan(1024);
    expect(rdp?.port).not.toBe(3389);
    expect(await hv.guestEndpoint('vm-u', 22)).toBeNull();
    await hv.close();
  });
});
