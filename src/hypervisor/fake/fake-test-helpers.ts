/**
 * Helpers for the fake backend's own tests: a temporary folder with a template disk, and a VM
 * made the way the orchestrator makes one.
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Hypervisor } from '../hypervisor.js';

export interface TempHost {
  dir: string;
  templateDisk: string;
  cleanup(): void;
}

export function tempHost(): TempHost {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvkube-fake-test-'));
  const templateDisk = path.join(dir, 'template.vhdx');
  fs.writeFileSync(templateDisk, 'golden image stand-in\n');
  return { dir, templateDisk, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function provision(
  hv: Hypervisor,
  name: string,
  templateDisk: string,
  memoryMb = 1024,
): Promise<string> {
  const disk = hv.diskPathFor(name, templateDisk);
  await hv.createDifferencingDisk(templateDisk, disk);
  await hv.createVm({
    name,
    diskPath: disk,
    memoryMb,
    cpus: 2,
    gpu: false,
    guestPorts: [3389],
    boot: null,
  });
  return disk;
}
