/**
 * The fake hypervisor backend: a simulated Hyper-V host for tests, benchmarks and
 * `--backend fake` trials. Also published as `hvkube/testing`.
 * @module
 */
export { createFakeHypervisor, FakeHypervisor } from './fake-hypervisor.js';
export { fakeOptionsFromEnv, FAKE_OPERATIONS } from './fake-hypervisor-config.js';
export type {
  FakeHypervisorOptions,
  FakeOperation,
  FakeLatencies,
} from './fake-hypervisor-config.js';
export { ManualClock, realClock } from './fake-clock.js';
export type { FakeClock } from './fake-clock.js';
export type { FakeFaults } from './fake-faults.js';
export { FAKE_FAILURE_CODES } from './fake-state.js';
export type { FakeFailureCode } from './fake-state.js';
export { fakeGuestAddress } from './fake-rules.js';
export { renderTextScreen } from '../console/render-text-screen.js';
