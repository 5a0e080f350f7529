/**
 * Helpers for the tests that run real QEMU: availability, the shared demo image, temp data
 * directories and killing every QEMU a test file spawned.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoImage, type DemoImage } from './demo-image.js';
import { spawnedPids } from './qemu-process.js';
import { findOnPath } from '../../_util/which.js';

/** True when `qemu-system-x86_64` runs; real-QEMU tests are skipped otherwise. */
export const QEMU_AVAILABLE = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
export const QEMU_MISSING_REASON = 'qemu-system-x86_64 is not installed (apt-get install --no-install-recommends qemu-system-x86 qemu-utils busybox-static cpio)';

/** The demo image, built once per machine and reused (`HVKUBE_DEMO_IMAGE_DIR` overrides where). */
export function demoImageForTests(): Promise<DemoImage> {
  return buildDemoImage(process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(os.tmpdir(), 'hvkube-demo-image'));
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** SIGKILLs every QEMU this test process spawned that still runs. */
export function killSpawnedQemus(): void {
  for (const pid of spawnedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(500, delay * 2)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * How the stand-in QEMU behaves under `-accel kvm`, as QEMU does on hosts whose /dev/kvm is
 * present but cannot run the guest: `hang` prints what the firmware and decompressor print and
 * then nothing, forever; `abort` dies on the MSR assertion; `features` refuses an `enforce`d CPU
 * model the host lacks features of; `works` runs the guest (under TCG, as KVM would).
 */
export type BrokenKvmMode = 'hang' | 'abort' | 'features' | 'works';

/**
 * Writes `<dir>/qemu-system-x86_64`, a stand-in that behaves as `mode` says under `-accel kvm`
 * and runs the real QEMU otherwise. Each start appends a line to `<dir>/starts`; `--version`
 * answers the contents of `<dir>/version` when that file exists.
 */
export function writeBrokenKvmQemu(dir: string, mode: BrokenKvmMode): string {
  const real = findOnPath('qemu-system-x86_64') ?? 'qemu-system-x86_64';
  const file = path.join(dir, 'qemu-system-x86_64');
  const kvm: Record<BrokenKvmMode, string> = {
    hang: `printf 'SeaBIOS (version 1.16.2-debian-1.16.2-1)\nBooting from ROM...\nDecompressing Linux... Parsing ELF... done.\nBooting the kernel (entry_offset: 0x0000000000000000).\nPhysical KASLR disabled: no suitable memory region!\n'
  while :; do sleep 1; done`,
    abort: `echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
  echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3185: kvm_buf_set_msrs: Assertion (ret == cpu->kvm_msr_buf->nmsrs) failed." >&2
  kill -ABRT $$`,
    features: `for f in pni ssse3 sse4.1 sse4.2 popcnt; do echo "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.$f" >&2; done
  echo "qemu-system-x86_64: Host doesn't support requested features" >&2
  exit 1`,
    works: `args=""; for a in "$@"; do [ "$a" = kvm ] && a=tcg; args="$args '$a'"; done
  eval exec "${real}" $args`,
  };
  writeFileSync(file, `#!/bin/sh
here=$(dirname "$0")
echo "$*" >> "$here/starts"
if [ "$1" = --version ] && [ -f "$here/version" ]; then echo "QEMU emulator version $(cat "$here/version")"; exit 0; fi
kvm=""
for a in "$@"; do [ "$a" = kvm ] && kvm=1; done
if [ -n "$kvm" ]; then
  ${kvm[mode]}
fi
exec "${real}" "$@"
`);
  chmodSync(file, 0o755);
  return file;
}

/** PIDs of live processes whose command line mentions `text` (a test's own data directory). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
