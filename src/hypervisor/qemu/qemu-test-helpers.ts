/**
 * Helpers for the tests that run real QEMU: availability, the shared demo image, temp data
 * directories and killing every QEMU a test file spawned.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoImage, type DemoImage } from './demo-image.js';
import { spawnedPids } from './qemu-process.js';

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
