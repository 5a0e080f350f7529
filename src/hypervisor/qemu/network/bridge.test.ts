/**
 * Bridge mode with a real bridge: opt-in (`HVKUBE_BRIDGE_TEST=1`, as root), because it changes the
 * host: it creates a bridge with an address, allows it in /etc/qemu/bridge.conf for
 * qemu-bridge-helper, runs busybox udhcpd on it, boots the demo guest on it and removes all of
 * that afterwards (the ACL file only when this test created it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor, type DemoImage, type QemuHypervisor } from '../index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, tempDir, waitFor } from '../qemu-test-helpers.js';
import { addressFromArp } from './network.js';

const ENABLED = QEMU_AVAILABLE && process.env.HVKUBE_BRIDGE_TEST === '1' && process.getuid?.() === 0;
const STEP_MS = 300_000;
const ACL = '/etc/qemu/bridge.conf';

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

describe.skipIf(!ENABLED)('QEMU bridge mode on a real bridge (HVKUBE_BRIDGE_TEST=1)', () => {
  const bridge = `hvkbr${process.pid % 10_000}`;
  const subnet = `192.168.${200 + (process.pid % 50)}`;
  const vm = 'hvk-br-1';
  let data: { dir: string; cleanup(): void };
  let hv: QemuHypervisor;
  let image: DemoImage;
  let dhcpd: ChildProcess | null = null;
  let aclBefore: string | null = null;

  beforeAll(async () => {
    image = await demoImageForTests();
    data = tempDir('hvk-qemu-br-');
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    aclBefore = existsSync(ACL) ? readFileSync(ACL, 'utf8') : null;
    mkdirSync(path.dirname(ACL), { recursive: true });
    writeFileSync(ACL, `${aclBefore ?? ''}allow ${bridge}\n`);
    const conf = path.join(data.dir, 'udhcpd.conf');
    const leases = path.join(data.dir, 'udhcpd.leases');
    writeFileSync(leases, '');
    writeFileSync(conf, `start ${subnet}.50\nend ${subnet}.99\ninterface ${bridge}\nlease_file ${leases}\noption subnet 255.255.255.0\noption router ${subnet}.1\n`);
    dhcpd = spawn('busybox', ['udhcpd', '-f', conf], { stdio: 'ignore' });
    hv = createQemuHypervisor({ dataDir: data.dir, qmpIdleMs: 300, network: { mode: 'bridge', bridge } });
    const disk = hv.diskPathFor(vm, image.diskPath);
    await hv.createDifferencingDisk(image.diskPath, disk);
    await hv.createVm({ name: vm, diskPath: disk, memoryMb: 128, cpus: 1, gpu: false, guestPorts: [3389], boot: image });
  }, STEP_MS);

  afterAll(async () => {
    await hv?.remove(vm).catch(() => undefined);
    await hv?.close();
    killSpawnedQemus();
    dhcpd?.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', bridge]);
    if (aclBefore === null) rmSync(ACL, { force: true });
    else writeFileSync(ACL, aclBefore);
    data?.cleanup();
  }, STEP_MS);

  it('boots on the bridge, gets a lease there, and answers that address as its endpoint', async () => {
    await hv.start(vm);
    await hv.waitUntilReady(vm, STEP_MS);
    let address: string | null = null;
    await waitFor('the guest has an address on the bridge', 120_000, async () => (address = await hv.guestAddress(vm)) !== null);
    expect(address).toMatch(new RegExp(`^${subnet.replaceAll('.', '\\.')}\\.(5\\d|[6-9]\\d)$`));
    expect(await hv.guestEndpoint(vm, 3389)).toEqual({ host: address, port: 3389 });
    expect(await hv.guestEndpoint(vm, 22)).toBeNull();
    // The guest reaches the host over the bridge, and the host then knows its MAC (the fallback without an agent).
    const ping = await hv.guest.exec(vm, { argv: ['ping', '-c', '1', '-W', '5', `${subnet}.1`], timeoutMs: 30_000 });
    expect(ping.exitCode).toBe(0);
    const mac = (await hv.guest.interfaces(vm)).find((i) => i.ipv4.includes(address ?? ''))?.mac;
    expect(mac).toMatch(/^52:54:00:/);
    expect(await addressFromArp(mac ?? '')).toBe(address);
    // It keeps the address across save and resume (same MAC, same lease).
    await hv.save(vm);
    await hv.start(vm);
    expect(await hv.guestAddress(vm)).toBe(address);
  }, STEP_MS);
});
