/**
 * Builds the demo golden image: a Debian kernel, a busybox initramfs and a small ext2 data disk,
 * all from Debian packages. The guest boots to a shell on the VGA console in a few seconds under
 * TCG, reports readiness on the `org.hvkube.ready` virtio port and mounts its disk at /data, so
 * writes made during a session land in the VM's overlay and vanish on reset. It runs the QEMU
 * guest agent (qemu-ga from `qemu-guest-agent`, with the shared libraries it links, each from
 * its Debian package) on the `org.qemu.guest_agent.0` port, and brings its NIC up by DHCP.
 * @module
 */
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
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
  'virtio_blk', 'failover', 'net_failover', 'virtio_net', 'usb-common', 'usbcore', 'xhci-hcd', 'xhci-pci', 'hid', 'usbhid', 'hid-generic', 'evdev',
  'crc16', 'mbcache', 'jbd2', 'crc32c_generic', 'ext4',
  // The AHCI disk of the Windows-shaped machine, and UEFI variables under its firmware.
  'scsi_common', 'scsi_mod', 'libata', 'libahci', 'ahci', 'crc64', 'crc64-rocksoft', 'crct10dif_common', 'crct10dif_generic', 'crc-t10dif',
  't10-pi', 'sd_mod', 'efivarfs',
] as const;

/** `quiet` keeps the VGA screen to the banner and the prompt; the serial console gets the same text. */
export const DEMO_CMDLINE = 'console=ttyS0 console=tty1 quiet loglevel=3';

const MANIFEST = 'demo-image.json';
/**
 * Version of what the image holds; a cached image of another version is rebuilt. 2: qemu-ga and
 * its libraries, virtio_net and DHCP. 3: AHCI disk and efivarfs for the Windows-shaped machine.
 */
export const DEMO_IMAGE_VERSION = 3;
/** The package that ships qemu-ga. */
const AGENT_PACKAGE = 'qemu-guest-agent';
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
  let image: DemoImage & { version?: number };
  try {
    image = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as DemoImage & { version?: number };
  } catch {
    return null;
  }
  if (image.version !== DEMO_IMAGE_VERSION) return null;
  delete image.version;
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

    progress(`downloading ${AGENT_PACKAGE} and its libraries`);
    const agent = await fetchAgent(work);

    progress('building the initramfs');
    await buildInitramfs(root, version, work, options.busybox ?? '/bin/busybox', agent);

    // A rebuild for a newer version keeps the data disk (its content has not changed), so the
    // overlays of VMs made from the older image keep a valid base.
    const keepDisk = await exists(path.join(dir, 'disk.qcow2'));
    if (!keepDisk) {
      progress('building the data disk');
      await buildDataDisk(work, options.qemuImgBinary ?? 'qemu-img');
    }

    const image: DemoImage = {
      diskPath: path.join(dir, 'disk.qcow2'),
      kernel: path.join(dir, 'vmlinuz'),
      initrd: path.join(dir, 'initrd.gz'),
      cmdline: DEMO_CMDLINE,
    };
    await rename(path.join(work, 'vmlinuz'), image.kernel);
    await rename(path.join(work, 'initrd.gz'), image.initrd);
    if (!keepDisk) await rename(path.join(work, 'disk.qcow2'), image.diskPath);
    await writeFile(path.join(dir, MANIFEST), `${JSON.stringify({ ...image, version: DEMO_IMAGE_VERSION }, null, 2)}\n`);
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

/** qemu-ga and the shared libraries it loads (with the dynamic loader), as files in the work dir. */
interface AgentFiles {
  binary: string;
  /** soname → extracted file (symlinks resolved). */
  libraries: Map<string, string>;
  /** The program interpreter's path inside the guest and its extracted file. */
  loader: { guestPath: string; file: string };
}

/**
 * Downloads `qemu-guest-agent`, asks `ldd` which libraries its qemu-ga loads, finds the Debian
 * package of each (`dpkg -S`), downloads those and takes the libraries from them: every file
 * put into the guest comes from a Debian package, in the versions the archive has now.
 */
async function fetchAgent(work: string): Promise<AgentFiles> {
  const debs = path.join(work, 'agent-debs');
  const root = path.join(work, 'agent-root');
  await mkdir(debs, { recursive: true });
  await tool('apt-get', ['download', AGENT_PACKAGE], { cwd: debs }, `apt-get download ${AGENT_PACKAGE}`);
  await extractAll(debs, root);
  const binary = path.join(root, 'usr', 'sbin', 'qemu-ga');
  if (!(await exists(binary))) throw failure(`${AGENT_PACKAGE} has no usr/sbin/qemu-ga`);

  const { stdout } = await tool('ldd', [binary], {}, 'ldd qemu-ga');
  const needed = new Map<string, string>();
  let loaderPath = '';
  for (const line of stdout.split('\n')) {
    const linked = /^\s*(\S+) => (\S+)/.exec(line);
    if (linked?.[1] && linked[2]) {
      if (linked[2] === 'not') throw failure(`qemu-ga needs ${linked[1]}, which this host lacks`, `apt-get install ${AGENT_PACKAGE}`);
      needed.set(linked[1], linked[2]);
      continue;
    }
    const interp = /^\s*(\/\S*ld-linux\S*)/.exec(line);
    if (interp?.[1]) loaderPath = interp[1];
  }
  if (!loaderPath) throw failure('ldd names no program interpreter for qemu-ga');

  const packages = new Set<string>();
  for (const file of [...needed.values(), loaderPath]) packages.add(await owningPackage(file));
  const libDebs = path.join(work, 'lib-debs');
  await mkdir(libDebs, { recursive: true });
  await tool('apt-get', ['download', ...[...packages].sort()], { cwd: libDebs }, 'apt-get download (qemu-ga libraries)');
  await extractAll(libDebs, root);

  const libraries = new Map<string, string>();
  for (const soname of needed.keys()) libraries.set(soname, await findLibrary(root, soname));
  return { binary, libraries, loader: { guestPath: loaderPath, file: await findLibrary(root, path.basename(loaderPath)) } };
}

async function extractAll(debDir: string, root: string): Promise<void> {
  for (const deb of (await readdir(debDir)).filter((f) => f.endsWith('.deb'))) {
    await tool('dpkg-deb', ['-x', path.join(debDir, deb), root], {}, `dpkg-deb -x ${deb}`);
  }
}

/** The package that installed `file` on this host (usrmerge: tried with and without /usr). */
async function owningPackage(file: string): Promise<string> {
  const candidates = new Set([file, file.startsWith('/usr/') ? file.slice(4) : `/usr${file}`]);
  for (const candidate of candidates) {
    try {
      const { stdout } = await execa('dpkg', ['-S', candidate]);
      const name = stdout.split('\n')[0]?.split(':')[0]?.trim();
      if (name) return name.split(',')[0]?.trim() ?? name;
    } catch {
      // not this spelling
    }
  }
  throw failure(`no Debian package owns ${file}`);
}

/** `soname` in the extracted tree, with symlinks followed inside the tree (absolute ones too). */
async function findLibrary(root: string, soname: string): Promise<string> {
  for (const dir of ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64', 'usr/lib64', 'lib', 'usr/lib']) {
    let file = path.join(root, dir, soname);
    for (let hops = 0; hops < 10; hops++) {
      const info = await lstat(file).catch(() => null);
      if (!info) break;
      if (!info.isSymbolicLink()) return file;
      const target = await readlink(file);
      file = path.isAbsolute(target) ? path.join(root, target) : path.join(path.dirname(file), target);
    }
  }
  throw failure(`the downloaded packages have no ${soname}`);
}

async function buildInitramfs(root: string, version: string, work: string, busybox: string, agent: AgentFiles): Promise<void> {
  const stage = path.join(work, 'initramfs');
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'data', 'tmp', 'run', 'var', 'etc', 'lib/modules', 'lib/x86_64-linux-gnu']) {
    await mkdir(path.join(stage, d), { recursive: true });
  }
  await symlink('../run', path.join(stage, 'var', 'run'));
  await copyFile(agent.binary, path.join(stage, 'sbin', 'qemu-ga'));
  await chmod(path.join(stage, 'sbin', 'qemu-ga'), 0o755);
  for (const [soname, file] of agent.libraries) await copyFile(file, path.join(stage, 'lib', 'x86_64-linux-gnu', soname));
  const loader = path.join(stage, agent.loader.guestPath);
  await mkdir(path.dirname(loader), { recursive: true });
  await copyFile(agent.loader.file, loader);
  await chmod(loader, 0o755);
  // qemu-ga's guest-set-time runs /sbin/hwclock -w after setting the clock.
  await symlink('../bin/busybox', path.join(stage, 'sbin', 'hwclock'));
  await writeFile(path.join(stage, 'etc', 'os-release'), OS_RELEASE);
  await writeFile(path.join(stage, 'etc', 'udhcpc.sh'), UDHCPC_SCRIPT, { mode: 0o755 });
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
hostname hvkube-demo
printf '\\033[2J\\033[H\\n  hvkube demo guest\\n  /data is the disk of this VM: writes vanish on reset.\\n\\n' >/dev/tty1
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -f -i eth0 -s /etc/udhcpc.sh >/dev/null 2>&1 &
fi
for p in /sys/class/virtio-ports/*; do
  if [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ]; then
    qemu-ga -m virtio-serial -p "/dev/\${p##*/}" -t /run >/dev/null 2>&1 &
  fi
done
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

const OS_RELEASE = `PRETTY_NAME="hvkube demo guest (Debian kernel, busybox)"
NAME="hvkube demo guest"
ID=hvkube-demo
ID_LIKE=debian
VERSION_ID="${DEMO_IMAGE_VERSION}"
`;

/** busybox udhcpc's hook: applies a lease ($ip, $mask as prefix length, $router) to the interface. */
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi ;;
esac
exit 0
`;

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
