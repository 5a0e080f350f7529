/**
 * The accelerator port of the QEMU backend: KVM when a probe shows a guest runs under it, TCG
 * otherwise, with the reason. See choose-accel.ts.
 * @module
 */
export { chooseAccel, KVM_CPU_CANDIDATES, TCG_CPU_MODEL, type AccelChoiceOptions } from './choose-accel.js';
export { describeVerdict, verdictLabel, type AccelVerdict, type KvmStatus } from './verdict.js';
