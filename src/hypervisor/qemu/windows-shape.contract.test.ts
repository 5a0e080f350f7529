/**
 * The backend contract on the Windows-shaped machine (OVMF with its own variables, swtpm TPM 2.0,
 * AHCI disk, e1000e network, usb-tablet, EDID display), with the Linux demo guest booted on it
 * by the firmware's direct kernel boot.
 */
import { describe, it } from 'vitest';
import { runHypervisorContract } from '../hypervisor.case.js';
import { createQemuHypervisor } from './index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, QEMU_MISSING_REASON, tempDir } from './qemu-test-helpers.js';
import { SWTPM_AVAILABLE, SWTPM_MISSING_REASON } from './machine/machine-test-helpers.js';

// OVMF under software emulation takes a while before the kernel starts.
const BOOT_MS = 300_000;

if (QEMU_AVAILABLE && SWTPM_AVAILABLE) {
  const image = await demoImageForTests();
  runHypervisorContract(
    'qemu (demo guest on the Windows-shaped machine, 256 MiB)',
    async () => {
      const data = tempDir('hvk-qemu-win-');
      const hv = createQemuHypervisor({ dataDir: data.dir, gracefulStopMs: 2_000 });
      return {
        hv,
        templateDisk: image.diskPath,
        cleanup: async () => {
          await hv.close();
          killSpawnedQemus();
          data.cleanup();
        },
      };
    },
    {
      memoryMb: 256,
      cpus: 1,
      boot: image,
      machine: { os: 'windows', secureBoot: false, devices: 'stock', display: { width: 1280, height: 800 } },
      timeoutMs: BOOT_MS,
      readyTimeoutMs: BOOT_MS,
      vmPrefix: 'hvkwin-',
    },
  );
} else {
  describe('hypervisor contract: qemu, Windows-shaped machine', () => {
    it.skip(`skipped: ${QEMU_AVAILABLE ? SWTPM_MISSING_REASON : QEMU_MISSING_REASON}`, () => undefined);
  });
}
