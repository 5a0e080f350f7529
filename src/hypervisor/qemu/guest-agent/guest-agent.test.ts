/**
 * The guest agent channel against the real demo guest (qemu-ga from Debian's package) under
 * QEMU: readiness, OS and addresses, exec with hostile arguments, stdin/stdout/stderr, time-outs,
 * file copies both ways, the clock after a resume (ordinary and pre-started), and a guest whose
 * agent is gone.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvkubeError } from '../../../domain/errors.js';
import { createQemuHypervisor, type DemoImage, type QemuHypervisor } from '../index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, tempDir, waitFor } from '../qemu-test-helpers.js';

const STEP_MS = 300_000;

/** Arguments a shell would act on: each must reach the program as one argument, byte for byte. */
const HOSTILE = [
  '"double quoted"', "'single quoted'", '$(touch /tmp/pwned-subst)', '`touch /tmp/pwned-backtick`', 'line one\nline two',
  '../../etc/passwd', '; touch /tmp/pwned-semicolon', '| touch /tmp/pwned-pipe', '*', '$HOME', '  spaced  ', '-n', '',
  'ünïcödé € 😀', '\\back\\slash', '%s%n%x', '&& reboot',
];

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return e instanceof HvkubeError ? e.code : `not an HvkubeError: ${String(e)}`;
  }
}

describe.skipIf(!QEMU_AVAILABLE)('QEMU guest agent (demo guest with qemu-ga)', () => {
  const vm = 'hvk-ga-1';
  let data: { dir: string; cleanup(): void };
  let hv: QemuHypervisor;
  let image: DemoImage;

  beforeAll(async () => {
    image = await demoImageForTests();
    data = tempDir('hvk-qemu-ga-');
    hv = createQemuHypervisor({ dataDir: data.dir, qmpIdleMs: 300, standbys: 1 });
    const disk = hv.diskPathFor(vm, image.diskPath);
    await hv.createDifferencingDisk(image.diskPath, disk);
    await hv.createVm({ name: vm, diskPath: disk, memoryMb: 128, cpus: 1, gpu: false, guestPorts: [22], boot: image });
    await hv.start(vm);
    await hv.waitUntilReady(vm, STEP_MS);
  }, STEP_MS);

  afterAll(async () => {
    await hv?.remove(vm).catch(() => undefined);
    await hv?.close();
    killSpawnedQemus();
    data?.cleanup();
  }, STEP_MS);

  it('answers guest-ping once qemu-ga runs, and the heartbeat takes it as readiness without the ready port', async () => {
    await waitFor('the guest agent answers guest-ping', 60_000, () => hv.guest.ping(vm));
    // Without hvkube's READY (a guest that has only qemu-ga), the agent alone makes the VM ready.
    const readyLog = path.join(data.dir, 'qemu', vm, 'ready.log');
    writeFileSync(readyLog, '');
    expect(await hv.heartbeat(vm)).toBe('ok');
    writeFileSync(readyLog, 'READY\n');
  }, STEP_MS);

  it('reports the guest OS, host name and its DHCP address', async () => {
    let info = await hv.guest.info(vm);
    await waitFor('the guest has its DHCP address', 60_000, async () => (info = await hv.guest.info(vm)).addresses.includes('10.0.2.15'));
    expect(info).toMatchObject({ os: 'linux', hostname: 'hvkube-demo', prettyName: 'hvkube demo guest (Debian kernel, busybox)' });
    const interfaces = await hv.guest.interfaces(vm);
    expect(interfaces.find((i) => i.ipv4.includes('10.0.2.15'))?.mac).toBe('52:54:00:12:34:56');
    // User mode: the address is the NAT one and the endpoint a forwarded loopback port.
    expect(await hv.guestAddress(vm)).toBe('10.0.2.15');
    expect(await hv.guestEndpoint(vm, 22)).toMatchObject({ host: '127.0.0.1' });
  }, STEP_MS);

  it('passes hostile arguments to the program as data, one argument each', async () => {
    const result = await hv.guest.exec(vm, { argv: ['printf', '%s\\0', ...HOSTILE], timeoutMs: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(HOSTILE);
    const pwned = await hv.guest.exec(vm, { argv: ['ls', '/tmp'], timeoutMs: 60_000 });
    expect(pwned.stdout.toString()).not.toContain('pwned');
  }, STEP_MS);

  it('runs in a working directory with added environment, both given as data', async () => {
    const value = '$(touch /tmp/pwned-env) `id` \'"\n;x';
    const result = await hv.guest.exec(vm, {
      argv: ['sh', '-c', 'pwd; printf "%s" "$HVK_VALUE"; test -n "$PATH" && echo; echo path-kept'],
      cwd: '/data', env: { HVK_VALUE: value }, timeoutMs: 60_000,
    });
    expect(result.stdout.toString()).toBe(`/data\n${value}\npath-kept\n`);
    expect(await codeOf(hv.guest.exec(vm, { argv: ['true'], cwd: '/no/such dir $(x)', timeoutMs: 60_000 }))).toBe('GUEST_PATH_NOT_FOUND');
    expect(await codeOf(hv.guest.exec(vm, { argv: ['true'], env: { 'BAD NAME': 'x' }, timeoutMs: 60_000 }))).toBe('INVALID_INPUT');
    expect(await codeOf(hv.guest.exec(vm, { argv: ['echo', 'nul\0byte'], timeoutMs: 60_000 }))).toBe('INVALID_INPUT');
  }, STEP_MS);

  it('feeds stdin and answers stdout, stderr and the exit code apart', async () => {
    const stdin = Buffer.concat([Buffer.from('hello\n'), randomBytes(4096), Buffer.from([0, 255, 10])]);
    const result = await hv.guest.exec(vm, { argv: ['sh', '-c', 'cat; echo to-stderr >&2; exit 7'], stdin, timeoutMs: 60_000 });
    expect(result).toMatchObject({ exitCode: 7, timedOut: false, truncated: false });
    expect(result.stdout.equals(stdin)).toBe(true);
    expect(result.stderr.toString()).toBe('to-stderr\n');
    const shell = await hv.guest.exec(vm, { argv: ['echo $((6 * 7))'], shell: true, timeoutMs: 60_000 });
    expect(shell.stdout.toString()).toBe('42\n');
  }, STEP_MS);

  it('ends a command that runs past its time-out and says so', async () => {
    const result = await hv.guest.exec(vm, { argv: ['sleep', '37'], timeoutMs: 1_500 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    const ps = await hv.guest.exec(vm, { argv: ['ps'], timeoutMs: 60_000 });
    expect(ps.stdout.toString()).not.toContain('sleep 37');
  }, STEP_MS);

  it('copies binary files in and out, refuses one over the limit whole, and tells a missing path', async () => {
    const content = Buffer.concat([randomBytes(3 * 1024 * 1024 + 17), Buffer.from([0, 0xff, 0x0a, 0x0d])]);
    const written: number[] = [];
    await hv.guest.writeFile(vm, '/data/copy.bin', content, { onProgress: (n) => written.push(n) });
    expect(written.at(-1)).toBe(content.length);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    const read: number[] = [];
    const back = await hv.guest.readFile(vm, '/data/copy.bin', { maxBytes: content.length, onProgress: (n) => read.push(n) });
    expect(back.equals(content)).toBe(true);
    expect(read.at(-1)).toBe(content.length);

    const refused: number[] = [];
    expect(await codeOf(hv.guest.readFile(vm, '/data/copy.bin', { maxBytes: content.length - 1, onProgress: (n) => refused.push(n) })))
      .toBe('GUEST_FILE_TOO_LARGE');
    expect(refused).toEqual([]);
    expect(await codeOf(hv.guest.readFile(vm, '/data/no such file', { maxBytes: 1024 }))).toBe('GUEST_PATH_NOT_FOUND');
    expect(await codeOf(hv.guest.writeFile(vm, '/no/such/dir/file', Buffer.from('x')))).toBe('GUEST_PATH_NOT_FOUND');
    expect(await codeOf(hv.guest.readFile(vm, 'relative/path', { maxBytes: 1024 }))).toBe('INVALID_PATH');
    const empty = await hv.guest.writeFile(vm, '/data/empty', Buffer.alloc(0)).then(() => hv.guest.readFile(vm, '/data/empty', { maxBytes: 0 }));
    expect(empty.length).toBe(0);
  }, STEP_MS);

  it('lists a directory with hostile names as they are, and a file by itself', async () => {
    const odd = 'it\'s "odd" $(x) `y`\nnext line; *';
    await hv.guest.exec(vm, { argv: ['mkdir', '-p', '/tmp/list/sub dir'], timeoutMs: 60_000 });
    await hv.guest.writeFile(vm, `/tmp/list/${odd}`, Buffer.from('12345'));
    await hv.guest.writeFile(vm, '/tmp/list/.hidden', Buffer.from(''));
    await hv.guest.exec(vm, { argv: ['ln', '-s', '/data', '/tmp/list/link'], timeoutMs: 60_000 });
    const entries = await hv.guest.listFiles(vm, '/tmp/list');
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['.hidden', 'file'], ['it\'s "odd" $(x) `y`\nnext line; *', 'file'], ['link', 'link'], ['sub dir', 'dir'],
    ].sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1)));
    expect(entries.find((e) => e.name === odd)).toMatchObject({ size: 5 });
    expect(entries.every((e) => e.modified === null || !Number.isNaN(Date.parse(e.modified)))).toBe(true);
    expect(await hv.guest.listFiles(vm, `/tmp/list/${odd}`)).toMatchObject([{ name: odd, type: 'file', size: 5 }]);
    expect(await codeOf(hv.guest.listFiles(vm, '/tmp/list/nothing here'))).toBe('GUEST_PATH_NOT_FOUND');
  }, STEP_MS);

  it('has no clipboard to offer and says why', async () => {
    const error = await hv.guest.getClipboard(vm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HvkubeError);
    expect((error as HvkubeError).code).toBe('GUEST_UNAVAILABLE');
    expect((error as HvkubeError).message).toContain('clipboard');
    expect(await codeOf(hv.guest.setClipboard(vm, 'x'))).toBe('GUEST_UNAVAILABLE');
  });

  it('sets the guest clock right after a resume: saved 30 s, within 1 s of the host after', async () => {
    await hv.guest.syncClock(vm);
    await hv.save(vm);
    await new Promise((r) => setTimeout(r, 30_000));
    await hv.start(vm);
    const drift = (await hv.guest.guestTime(vm)) - Date.now();
    expect(Math.abs(drift)).toBeLessThan(1_000);
    // It was set, not right by chance: before, the guest clock stood where the save left it.
    const sync = hv.lastClockSync(vm);
    expect(sync?.error).toBeNull();
    expect(sync?.offsetMs).toBeLessThan(-25_000);
  }, STEP_MS);

  it('sets it in a pre-started resume too', async () => {
    await hv.save(vm);
    await hv.prepareResume([vm]);
    expect(hv.standbyNames()).toEqual([vm]);
    await new Promise((r) => setTimeout(r, 8_000));
    await hv.start(vm);
    expect(hv.standbyNames()).toEqual([]);
    const drift = (await hv.guest.guestTime(vm)) - Date.now();
    expect(Math.abs(drift)).toBeLessThan(1_000);
    expect(hv.lastClockSync(vm)?.offsetMs).toBeLessThan(-5_000);
  }, STEP_MS);

  it('answers GUEST_UNAVAILABLE quickly once the guest has no agent, and a resume does not hang on it', async () => {
    // Ends qemu-ga in the guest a moment after this command has returned.
    await hv.guest.exec(vm, { argv: ['sh', '-c', '(sleep 2; killall qemu-ga) </dev/null >/dev/null 2>&1 &'], timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await hv.guest.ping(vm, { timeoutMs: 1_000 })).toBe(false);
    expect(await codeOf(hv.guest.exec(vm, { argv: ['true'], timeoutMs: 60_000 }))).toBe('GUEST_UNAVAILABLE');
    expect(await codeOf(hv.guest.readFile(vm, '/data/copy.bin', { maxBytes: 1 }))).toBe('GUEST_UNAVAILABLE');
    await hv.save(vm);
    await hv.start(vm);
    expect((await hv.getVm(vm))?.state).toBe('running');
    // The clock setting runs first on the channel; a ping queues behind it.
    expect(await hv.guest.ping(vm, { timeoutMs: 500 })).toBe(false);
    expect(hv.lastClockSync(vm)?.error).toContain('did not answer');
  }, STEP_MS);

  it('refuses at once for a VM created without a channel', async () => {
    const other = createQemuHypervisor({ dataDir: data.dir, guestAgent: false });
    const name = 'hvk-ga-none';
    const disk = other.diskPathFor(name, image.diskPath);
    await other.createDifferencingDisk(image.diskPath, disk);
    await other.createVm({ name, diskPath: disk, memoryMb: 128, cpus: 1, gpu: false, guestPorts: [], boot: image });
    expect(await codeOf(other.guest.exec(name, { argv: ['true'], timeoutMs: 1_000 }))).toBe('GUEST_UNAVAILABLE');
    expect(await other.guest.ping(name)).toBe(false);
    await other.remove(name);
    await other.close();
  });
});
