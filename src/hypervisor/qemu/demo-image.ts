/**
 * Builds the demo golden image: a Debian kernel, a busybox initramfs and a small ext2 data disk,
 * all from Debian packages. The guest boots to a shell on the VGA console in a few seconds under
 * TCG, reports readiness on the `org.hvkube.ready` virtio port and mounts its disk at /data, so
 * writes made during a session land in the VM's overlay and vanish on reset.
 * @module
 */
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';
import { HypervisorError } from '../../domain/errors.js';
import type { DirectBoot } from '../../domain/types.js';

export interface DemoImage extends DirectBoot {
  /** The template disk (qcow2). */
  diskPath: string;
  initrd: string;
}

export interface BuildDemoImageOptions {
  /** Called with a short line for each step. */
  onProgress?: (step: string) => void;
  /** The busybox binary copied into the initramfs. Default is `/bin/busybox` (busybox-static). */
  busybox?: string;
  qemuImgBinary?: string;
}

/** Kernel modules the guest loads, in load order: virtio_ring must precede virtio (qemu.md). */
export const DEMO_MODULES = [
  'virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'virtio_console',
  'virtio_blk', 'usb-common', 'usbcore', 'xhci-hcd', 'xhci-pci', 'hid', 'usbhid', 'hid-generic', 'evdev',
  'crc16', 'mbcache', 'jbd2', 'crc32c_generic', 'ext4',
  // The AHCI disk of the Windows-shaped machine, and UEFI variables under its firmware.
  'scsi_common', 'scsi_mod', 'libata', 'libahci', 'ahci', 'crc64', 'crc64-rocksoft', 'crct10dif_common', 'crct10dif_generic', 'crc-t10dif',
  't10-pi', 'sd_mod', 'efivarfs',
] as const;

/** Bumped whenever what the image holds changes, so an image built by an older version is rebuilt. */
const RECIPE = 2;

/** `quiet` keeps the VGA screen to the banner and the prompt; the serial console gets the same text. */
export const DEMO_CMDLINE = 'console=ttyS0 console=tty1 quiet loglevel=3';

const MANIFEST = 'demo-image.json';
const DATA_DISK_MB = 64;

/**
 * Builds the demo image under `dir` (or answers the one already there).
 * @example
 * ```ts
 * const image = await buildDemoImage('/var/lib/hvkube/images/demo');
 * // { diskPath: '.../disk.qcow2', kernel: '.../vmlinuz', initrd: '.../initrd.gz', cmdline: '...' }
 * ```
 */
export async function buildDemoImage(dir: string, options: BuildDemoImageOptions = {}): Promise<DemoImage> {
  const absDir = path.resolve(dir);
  await mkdir(absDir, { recursive: true });
  const cached = await readManifest(absDir);
  if (cached) return cached;
  const release = await acquireBuildLock(absDir);
  try {
    // Another process may have finished the build while we waited for the lock.
    return (await readManifest(absDir)) ?? (await build(absDir, options));
  } finally {
    await release();
  }
}

async function readManifest(dir: string): Promise<DemoImage | null> {
  let image: DemoImage;
  try {
    image = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as DemoImage;
  } catch {
    return null;
  }
  if ((image as DemoImage & { recipe?: number }).recipe !== RECIPE) return null;
  for (const file of [image.diskPath, image.kernel, image.initrd]) {
    if (!(await exists(file))) return null;
  }
  return image;
}

async function build(dir: string, options: BuildDemoImageOptions): Promise<DemoImage> {
  const progress = options.onProgress ?? (() => undefined);
  const work = path.join(dir, `.build-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const kernelPackage = await kernelPackageName();
    progress(`downloading ${kernelPackage}`);
    await tool('apt-get', ['download', kernelPackage], { cwd: work }, 'apt-get download');
    const deb = (await readdir(work)).find((f) => f.startsWith(kernelPackage) && f.endsWith('.deb'));
    if (!deb) throw failure(`apt-get download left no ${kernelPackage} .deb`);

    progress('unpacking the kernel package');
    const root = path.join(work, 'root');
    await tool('dpkg-deb', ['-x', path.join(work, deb), root], {}, 'dpkg-deb');
    const version = kernelPackage.replace(/^linux-image-/, '');
    await copyFile(path.join(root, 'boot', `vmlinuz-${version}`), path.join(work, 'vmlinuz'));

    progress('building the initramfs');
    await buildInitramfs(root, version, work, options.busybox ?? '/bin/busybox');

    progress('building the data disk');
    await buildDataDisk(work, options.qemuImgBinary ?? 'qemu-img');

    const image: DemoImage = {
      diskPath: path.join(dir, 'disk.qcow2'),
      kernel: path.join(dir, 'vmlinuz'),
      initrd: path.join(dir, 'initrd.gz'),
      cmdline: DEMO_CMDLINE,
    };
    await rename(path.join(work, 'vmlinuz'), image.kernel);
    await rename(path.join(work, 'initrd.gz'), image.initrd);
    await rename(path.join(work, 'disk.qcow2'), image.diskPath);
    await writeFile(path.join(dir, MANIFEST), `${JSON.stringify({ ...image, recipe: RECIPE }, null, 2)}\n`);
    progress('demo image ready');
    return image;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The versioned kernel package the `linux-image-amd64` meta-package currently depends on. */
async function kernelPackageName(): Promise<string> {
  const { stdout } = await tool('apt-cache', ['depends', '--important', 'linux-image-amd64'], {}, 'apt-cache');
  const match = /linux-image-\d[\w.+~-]*-amd64/.exec(stdout);
  if (!match) throw failure('apt-cache names no linux-image-<version>-amd64 package', 'run apt-get update');
  return match[0];
}

async function buildInitramfs(root: string, version: string, work: string, busybox: string): Promise<void> {
  const stage = path.join(work, 'initramfs');
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'data', 'tmp', 'lib/modules']) {
    await mkdir(path.join(stage, d), { recursive: true });
  }
  await copyFile(busybox, path.join(stage, 'bin', 'busybox'));
  await chmod(path.join(stage, 'bin', 'busybox'), 0o755);
  const { stdout } = await tool(busybox, ['--list'], {}, 'busybox --list');
  for (const applet of stdout.split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox')) {
    await symlink('busybox', path.join(stage, 'bin', applet));
  }

  const moduleFiles = await indexModules(path.join(root, 'lib', 'modules', version, 'kernel'));
  for (const name of DEMO_MODULES) {
    const file = moduleFiles.get(name);
    if (!file) throw failure(`kernel ${version} has no module ${name}`);
    await copyFile(file, path.join(stage, 'lib', 'modules', `${name}.ko`));
  }
  await writeFile(path.join(stage, 'init'), initScript(), { mode: 0o755 });

  const files = await listTree(stage);
  const cpio = execa('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], {
    cwd: stage,
    input: `${files.join('\n')}\n`,
    encoding: 'buffer',
    buffer: false,
  });
  await Promise.all([
    pipeline(cpio.stdout, createGzip({ level: 6 }), createWriteStream(path.join(work, 'initrd.gz'))),
    cpio.catch((e: unknown) => {
      throw failure('cpio failed (is the cpio package installed?)', 'apt-get install cpio', e);
    }),
  ]);
}

/** Module name → file. Debian 12 ships plain `.ko` files; compressed ones would need unpacking. */
async function indexModules(dir: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for (const file of await listTree(dir)) {
    if (file.endsWith('.ko')) index.set(path.basename(file, '.ko'), path.join(dir, file));
  }
  return index;
}

/** Paths relative to `dir`, parents before children (the order cpio needs). */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return ['.', ...entries.map((e) => `./${e}`)].sort();
}

async function buildDataDisk(work: string, qemuImg: string): Promise<void> {
  const content = path.join(work, 'data');
  await mkdir(content, { recursive: true });
  await writeFile(path.join(content, 'README'), 'This is the hvkube demo data disk. Writes here vanish when the VM is reset.\n');
  const raw = path.join(work, 'data.img');
  await tool('mkfs.ext2', ['-q', '-F', '-L', 'hvkdata', '-d', content, raw, `${DATA_DISK_MB}M`], {}, 'mkfs.ext2');
  await tool(qemuImg, ['convert', '-f', 'raw', '-O', 'qcow2', raw, path.join(work, 'disk.qcow2')], {}, 'qemu-img convert');
  await rm(raw);
}

/**
 * The guest's /init. The ready port is held open for the guest's lifetime, the way a guest agent
 * keeps its channel, so QEMU sees `guest_connected` in the migrated device state after a resume.
 */
function initScript(): string {
  return `#!/bin/busybox sh
export PATH=/bin:/sbin HOME=/ PS1='demo# '
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
for m in ${DEMO_MODULES.join(' ')}; do insmod /lib/modules/$m.ko; done
# The data disk is virtio (vda) or, on the Windows-shaped machine, AHCI (sda), which probes a moment later.
for i in $(seq 50); do [ -b /dev/vda ] || [ -b /dev/sda ] && break; sleep 0.1; done
disk=/dev/vda; [ -b /dev/vda ] || disk=/dev/sda
mount -t ext2 $disk /data || echo "hvkube: no data disk"
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars
printf '\\033[2J\\033[H\\n  hvkube demo guest\\n  /data is the disk of this VM: writes vanish on reset.\\n\\n' >/dev/tty1
for p in /sys/class/virtio-ports/*; do
  if [ "$(cat "$p/name" 2>/dev/null)" = org.hvkube.ready ]; then
    ( echo READY; exec sleep 2147483647 ) >"/dev/\${p##*/}" 2>/dev/null &
  fi
done
echo "HVKUBE-READY uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1' &
exec setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1'
`;
}

/** A lock file made with O_EXCL; a lock left by a dead process is taken over. */
async function acquireBuildLock(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, '.build.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      const handle = await open(lock, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) await rm(lock, { force: true });
    if (Date.now() > deadline) throw failure(`another process holds ${lock}`, 'remove the lock file if no build is running');
    await new Promise((r) => setTimeout(r, 250));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function tool(
  command: string,
  args: string[],
  options: { cwd?: string },
  what: string,
): Promise<{ stdout: string }> {
  try {
    const { stdout } = await execa(command, args, { ...options, stripFinalNewline: true });
    return { stdout };
  } catch (e) {
    throw failure(`${what} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      'the demo image needs apt, dpkg-deb, cpio, busybox-static, e2fsprogs and qemu-utils', e);
  }
}

function failure(message: string, hint?: string, cause?: unknown): HypervisorError {
  return new HypervisorError('HV_FAILED', `demo image: ${message}`, { hint, cause });
}
