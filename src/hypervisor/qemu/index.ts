/**
 * The QEMU/KVM backend's front door.
 * @example
 * ```ts
 * import { createQemuHypervisor, buildDemoImage } from './hypervisor/qemu/index.js';
 * const hv = createQemuHypervisor({ dataDir: '/var/lib/hvkube' });
 * const image = await buildDemoImage('/var/lib/hvkube/images/demo');
 * ```
 * @module
 */
import { QemuHypervisor } from './qemu-hypervisor.js';
import type { QemuHypervisorConfig } from './qemu-hypervisor-config.js';

export { QemuHypervisor, USER_NET_GUEST_ADDRESS } from './qemu-hypervisor.js';
export type { QemuHypervisorConfig } from './qemu-hypervisor-config.js';
export { buildDemoImage, DEMO_CMDLINE, type BuildDemoImageOptions, type DemoImage } from './demo-image.js';
export { describeVerdict, verdictLabel, type AccelVerdict } from './accel/index.js';
export { QmpClient, QmpError, type QmpEvent, type QmpConnectOptions } from './qmp-client.js';

/** Creates the QEMU backend. VMs live under `<dataDir>/qemu/`; nothing starts until asked. */
export function createQemuHypervisor(config: QemuHypervisorConfig): QemuHypervisor {
  return new QemuHypervisor(config);
}
