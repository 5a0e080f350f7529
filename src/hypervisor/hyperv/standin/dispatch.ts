/**
 * Runs one request the way the host loop would: allow-list, script file, parameter binding,
 * then the simulated script. Slow operations show their transient state to other processes.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ScriptName } from '../script-names.js';
import { bindParams } from './params.js';
import { PsError, accessDenied, commandNotFound } from './ps-errors.js';
import { addGpuPartition, doctor, getVm, hostInfo, listVms, newDifferencingDisk, newVm, ping, setEnhancedSession } from './ops-host.js';
import { checkpointVm, removeVm, restoreCheckpoint, saveVm, startVm, stopVm, suspendVm, resumeVm } from './ops-vm.js';
import { getGuestAddress, getHeartbeat, getScreenshot, pressKeys, sendMouse, typeText } from './ops-console.js';
import type { Op, OpContext, RunContext } from './ops-context.js';
import { guestClipboard, guestExec, guestFile, guestPing } from './ops-guest.js';
import { assertScriptMatchesModel, loadScript } from './strict.js';
import { findVms, STATE } from './view.js';

const OPS: Record<ScriptName, Op> = {
  ping,
  'host-info': hostInfo,
  doctor,
  'list-vms': listVms,
  'get-vm': getVm,
  'new-differencing-disk': newDifferencingDisk,
  'new-vm': newVm,
  'set-enhanced-session': setEnhancedSession,
  'add-gpu-partition': addGpuPartition,
  'start-vm': startVm,
  'save-vm': saveVm,
  'suspend-vm': suspendVm,
  'resume-vm': resumeVm,
  'stop-vm': stopVm,
  'remove-vm': removeVm,
  'checkpoint-vm': checkpointVm,
  'restore-checkpoint': restoreCheckpoint,
  'get-heartbeat': getHeartbeat,
  'get-guest-address': getGuestAddress,
  'get-screenshot': getScreenshot,
  'type-text': typeText,
  'press-keys': pressKeys,
  'send-mouse': sendMouse,
  'guest-ping': guestPing,
  'guest-exec': guestExec,
  'guest-file': guestFile,
  'guest-clipboard': guestClipboard,
};

/** What the VM shows while a slow operation runs. */
const TRANSIENT: Partial<Record<ScriptName, number>> = {
  'start-vm': STATE.Starting,
  'save-vm': STATE.Saving,
  'stop-vm': STATE.Stopping,
  'suspend-vm': STATE.Pausing,
  'resume-vm': STATE.Resuming,
};

/** Scripts that never touch a Hyper-V cmdlet, so they work without the module or rights. */
const WITHOUT_HYPERV = new Set<string>(['ping', 'doctor']);

const FIRST_CMDLET: Partial<Record<ScriptName, [string, string]>> = {
  'host-info': ['Hyper-V\\Get-VMHost', 'GetVMHost'],
  'new-differencing-disk': ['Hyper-V\\New-VHD', 'NewVHD'],
};

export interface RequestLike {
  script: string;
  params: Record<string, unknown>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runRequest(ctx: OpContext, scriptsDir: string, allowed: ReadonlySet<string>, request: RequestLike): Promise<unknown> {
  if (!allowed.has(request.script) || !(request.script in OPS)) {
    // `throw (New-Object System.ArgumentException ...)` in the host loop.
    throw new PsError(`Unknown script "${request.script}".`, 'OperationStopped', `Unknown script "${request.script}".`, 'System.ArgumentException', -2147024809);
  }
  const name = request.script as ScriptName;
  const scriptPath = path.join(scriptsDir, `${name}.ps1`);
  if (!existsSync(scriptPath)) throw commandNotFound(scriptPath);
  const params = bindParams(scriptPath, name, request.params);
  const script = loadScript(scriptsDir, name);
  assertScriptMatchesModel(script);
  if (!WITHOUT_HYPERV.has(name)) {
    const [cmdlet, cmdletClass] = FIRST_CMDLET[name] ?? ['Hyper-V\\Get-VM', 'GetVM'];
    if (ctx.faults.noHyperV) throw commandNotFound(cmdlet);
    if (ctx.faults.notElevated) throw accessDenied(ctx.store.read().hostname, cmdletClass);
  }
  const run: RunContext = { ...ctx, script };
  const result = OPS[name](run, params);
  const ms = ctx.latency[name] ?? 0;
  const transient = TRANSIENT[name];
  const vmName = typeof params.Name === 'string' ? params.Name : null;
  if (ms > 0) {
    if (transient !== undefined && vmName !== null) await showTransient(ctx, vmName, transient, ms);
    else await sleep(ms);
  }
  return result;
}

async function showTransient(ctx: OpContext, vmName: string, transient: number, ms: number): Promise<void> {
  let final: number | null = null;
  ctx.store.update((host) => {
    const vm = findVms(host.vms, vmName)[0];
    if (vm) {
      final = vm.state;
      vm.state = transient;
    }
  });
  await sleep(ms);
  ctx.store.update((host) => {
    const vm = findVms(host.vms, vmName)[0];
    if (vm && final !== null && vm.state === transient) vm.state = final;
  });
}
