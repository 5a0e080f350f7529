import { describe, it } from 'vitest';
import { runHypervisorContract } from '../hypervisor.case.js';
import { createQemuHypervisor } from './index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, QEMU_MISSING_REASON, tempDir } from './qemu-test-helpers.js';

const BOOT_MS = 180_000;

if (QEMU_AVAILABLE) {
  const image = await demoImageForTests();
  runHypervisorContract(
    'qemu (demo guest, 128 MiB)',
    async () => {
      const data = tempDir('hvk-qemu-ct-');
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
    { memoryMb: 128, cpus: 1, boot: image, timeoutMs: BOOT_MS, readyTimeoutMs: BOOT_MS },
  );
} else {
  describe('hypervisor contract: qemu', () => {
    it.skip(`skipped: ${QEMU_MISSING_REASON}`, () => undefined);
  });
}
