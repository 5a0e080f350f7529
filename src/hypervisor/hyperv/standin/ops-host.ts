/**
 * Stand-in operations that are about the host, lookups and creation: ping, host-info, doctor,
 * list-vms, get-vm, new-differencing-disk, new-vm, set-enhanced-session, add-gpu-partition.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PsError, hyperVFailure, invalidState, vmNotFound } from './ps-errors.js';
import type { Bound } from './params.js';
import { newScreen, type SimHost, type SimVm } from './state.js';
import { findVms, STATE, stateName, vmView } from './view.js';
import type { OpContext, RunContext } from './ops-context.js';
import { MEMORY_ALIGNMENT_BYTES } from './hyperv-model.js';
import { callsInFunction } from './script-facts.js';

export const PS_VERSION = '5.1.20348.2849';
const OS_RESERVED_BYTES = 4 * 1024 ** 3;

function str(p: Bound, key: string): string {
  const v = p[key];
  return typeof v === 'string' ? v : '';
}

function num(p: Bound, key: string, fallback = 0): number {
  const v = p[key];
  return typeof v === 'number' ? v : fallback;
}

export function vmOrThrow(host: SimHost, name: string): SimVm {
  const found = findVms(host.vms, name);
  if (found.length > 1) throw new PsError(`More than one virtual machine is named "${name}".`, 'InvalidOperation', 'AmbiguousName');
  const vm = found[0];
  if (!vm) throw vmNotFound(name);
  return vm;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Whether _lib.ps1's lookup asks Get-VM for one id instead of listing every VM. */
function looksUpById(ctx: RunContext): boolean {
  return callsInFunction(ctx.script.lib, 'Find-HvkVm').some((c) => c.cmdlet === 'Get-VM' && c.params.some((p) => p.toLowerCase() === 'id'));
}

/**
 * The VM a script finds: by id when the caller passed one and the lookup uses `Get-VM -Id`, else
 * by listing every VM (`Get-VM | Where-Object`), which costs the modelled `getVmPerVm` per VM.
 */
export function lookupVm(ctx: RunContext, host: SimHost, p: Bound): SimVm {
  const wanted = str(p, 'Name');
  const id = str(p, 'Id').toLowerCase();
  if (id !== '' && looksUpById(ctx)) {
    const vm = host.vms.find((v) => v.id.toLowerCase() === id);
    if (vm && vm.name.toLowerCase() === wanted.toLowerCase()) return vm;
  }
  const perVm = ctx.latency.getVmPerVm ?? 0;
  if (perVm > 0) Atomics.wait(pause, 0, 0, perVm * host.vms.length);
  return vmOrThrow(host, wanted);
}

/** `Find-HvkVm`: like lookupVm, null when there is none. */
export function findVm(ctx: RunContext, host: SimHost, p: Bound): SimVm | null {
  const found = findVms(host.vms, str(p, 'Name'));
  return found.length === 0 ? null : lookupVm(ctx, host, p);
}

function misaligned(bytes: number): boolean {
  return bytes % MEMORY_ALIGNMENT_BYTES !== 0;
}

/** New-VM / Set-VMMemory refuse a size that is not a whole number of 2 MB units (minikube#6973). */
function assertAligned(vmName: string, id: string, bytes: number, cmdlet: string): void {
  if (bytes <= 0 || !misaligned(bytes)) return;
  const mb = Math.floor(bytes / (1024 * 1024));
  const vmId = id.toUpperCase();
  throw hyperVFailure(
    `Failed to modify device 'Memory'.\r\nInvalid memory value assigned for '${vmName}'. Memory values must be properly aligned.\r\n'${vmName}' failed to modify device 'Memory'. (Virtual machine ID ${vmId})\r\nInvalid memory value assigned for '${vmName}'. The memory value assigned ('${mb}' MB) is not properly aligned. Try again with a memory value that is properly aligned. (Virtual machine ID ${vmId})`,
    'InvalidArgument',
    'InvalidParameter',
    cmdlet,
  );
}

export function assertState(vm: SimVm, allowed: readonly number[], operation: string): void {
  if (!allowed.includes(vm.state)) throw invalidState(operation, vm.name, stateName(vm));
}

export function freeMemoryBytes(host: SimHost): number {
  const used = host.vms.filter((v) => v.state === STATE.Running || v.state === STATE.Paused).reduce((sum, v) => sum + v.memoryStartupBytes, 0);
  return Math.max(0, host.memoryCapacityBytes - OS_RESERVED_BYTES - used);
}

function hostFlavour(p: string): path.PlatformPath {
  return p.startsWith('/') ? path.posix : path.win32;
}

/**
 * Paths that are absolute on this machine are real files: the simulated host's disk is this
 * machine's, so callers can check that disks appear and disappear. Others (C:\... on Linux)
 * exist only in the state file.
 */
export function writeDiskFile(p: string, parentPath: string | null): void {
  if (!path.isAbsolute(p)) return;
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, `hvkube stand-in virtual disk\nparent: ${parentPath ?? '-'}\n`, { flag: 'wx' });
}

export function deleteDiskFile(p: string): void {
  if (path.isAbsolute(p)) rmSync(p, { force: true });
}

export function fileExists(host: SimHost, p: string): boolean {
  const wanted = p.toLowerCase();
  return host.files.some((f) => f.path.toLowerCase() === wanted) || existsSync(p);
}

export function ping(_ctx: OpContext, p: Bound): unknown {
  return { echo: str(p, 'Echo'), pid: process.pid, psVersion: PS_VERSION };
}

export function hostInfo(ctx: OpContext): unknown {
  const host = ctx.store.read();
  return {
    hostname: host.hostname,
    logicalProcessorCount: host.logicalProcessorCount,
    memoryCapacityBytes: host.memoryCapacityBytes,
    freePhysicalMemoryKB: Math.floor(freeMemoryBytes(host) / 1024),
    freeDiskBytes: host.freeDiskBytes,
    virtualHardDiskPath: 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks',
    osVersion: '10.0.20348',
    psVersion: PS_VERSION,
  };
}

export function doctor(ctx: OpContext, p: Bound): unknown {
  const host = ctx.store.read();
  const switchName = str(p, 'SwitchName');
  return {
    vmmsService: ctx.faults.noHyperV ? null : 'Running',
    hypervModule: !ctx.faults.noHyperV,
    elevated: !ctx.faults.notElevated,
    hypervAdministrators: false,
    switchName,
    switchFound: switchName === '' || ctx.faults.noHyperV ? null : host.switches.includes(switchName),
    switchError: null,
    freePhysicalMemoryKB: Math.floor(freeMemoryBytes(host) / 1024),
    totalMemoryKB: Math.floor(host.memoryCapacityBytes / 1024),
    freeDiskBytes: host.freeDiskBytes,
    psVersion: PS_VERSION,
    productType: ctx.faults.productType,
  };
}

export function listVms(ctx: OpContext, p: Bound): unknown {
  const prefix = str(p, 'Prefix');
  const now = ctx.now();
  return { vms: ctx.store.read().vms.filter((v) => v.name.startsWith(prefix)).map((v) => vmView(v, now)) };
}

export function getVm(ctx: RunContext, p: Bound): unknown {
  const vm = findVm(ctx, ctx.store.read(), p);
  return { vm: vm ? vmView(vm, ctx.now()) : null };
}

export function newDifferencingDisk(ctx: OpContext, p: Bound): unknown {
  const parentPath = str(p, 'ParentPath');
  const childPath = str(p, 'Path');
  return ctx.store.update((host) => {
    if (!fileExists(host, parentPath)) {
      throw new PsError(
        `Failed to create the virtual hard disk.\r\nThe system failed to create '${childPath}'.\r\nThe system cannot find the file specified. (0x80070002).`,
        'ObjectNotFound',
        'ObjectNotFound,Microsoft.Vhd.PowerShell.Cmdlets.NewVhd',
        'Microsoft.Vhd.PowerShell.VhdException',
      );
    }
    if (fileExists(host, childPath)) {
      throw new PsError(
        `Failed to create the virtual hard disk.\r\nThe system failed to create '${childPath}': The file exists. (0x80070050).`,
        'ResourceExists',
        'ResourceExists,Microsoft.Vhd.PowerShell.Cmdlets.NewVhd',
        'Microsoft.Vhd.PowerShell.VhdException',
      );
    }
    writeDiskFile(childPath, parentPath);
    host.files.push({ path: childPath, kind: 'vhd', parentPath });
    return { path: childPath, parentPath, vhdType: 'Differencing' };
  });
}

export function newVm(ctx: OpContext, p: Bound): unknown {
  const name = str(p, 'Name');
  const vhdPath = str(p, 'VhdPath');
  const switchName = str(p, 'SwitchName');
  return ctx.store.update((host) => {
    if (findVms(host.vms, name).length > 0) {
      throw new PsError(`A virtual machine named "${name}" already exists.`, 'ResourceExists', 'AlreadyExists');
    }
    if (!fileExists(host, vhdPath)) {
      throw hyperVFailure(
        `Failed to add device 'Virtual Hard Disk'.\r\nThe system cannot find the file specified. (0x80070002).`,
        'ObjectNotFound',
        'ObjectNotFound',
        'NewVM',
      );
    }
    if (switchName !== '' && !host.switches.includes(switchName)) {
      throw hyperVFailure(`Hyper-V was unable to find a virtual switch with name "${switchName}".`, 'ObjectNotFound', 'ObjectNotFound', 'NewVM');
    }
    const id = randomUUID();
    assertAligned(name, id, num(p, 'MemoryStartupBytes'), 'NewVM');
    if (p.DynamicMemory !== false) {
      assertAligned(name, id, num(p, 'MemoryMinimumBytes'), 'SetVMMemory');
      assertAligned(name, id, num(p, 'MemoryMaximumBytes'), 'SetVMMemory');
    }
    const mac = host.nextMac++;
    const dir = str(p, 'Path');
    const vm: SimVm = {
      id,
      name,
      state: STATE.Off,
      memoryStartupBytes: num(p, 'MemoryStartupBytes'),
      dynamicMemory: p.DynamicMemory !== false,
      processorCount: num(p, 'ProcessorCount', 1),
      generation: 2,
      vhdPath,
      path: hostFlavour(dir).join(dir, name),
      switchName: switchName === '' ? null : switchName,
      automaticStopAction: str(p, 'AutomaticStopAction') || 'Save',
      checkpointType: 'Standard',
      automaticCheckpointsEnabled: false,
      enhancedSessionTransport: 'VMBus',
      gpuPartitions: 0,
      notes: '',
      secureBootTemplate: str(p, 'SecureBootTemplate') || 'MicrosoftWindows',
      checkpoints: [],
      parentCheckpointName: null,
      runningSince: null,
      uptimeBeforeSaveMs: 0,
      guestReadyAt: null,
      macAddress: `00155D${mac.toString(16).toUpperCase().padStart(6, '0')}`,
      ipv4: `172.27.${(mac >> 8) & 0xff}.${mac & 0xff}`,
      screen: newScreen(),
      savedStateIncompatible: false,
      createdAt: ctx.now(),
    };
    host.vms.push(vm);
    return { vm: vmView(vm, ctx.now()) };
  });
}

export function setEnhancedSession(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    vm.enhancedSessionTransport = p.Enabled === true ? 'HvSocket' : 'VMBus';
    return { supported: true, enabled: p.Enabled === true };
  });
}

export function addGpuPartition(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Off], 'Add GPU partition');
    vm.gpuPartitions = 1;
    return { adapters: vm.gpuPartitions };
  });
}
