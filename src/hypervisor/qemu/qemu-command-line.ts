/**
 * The QEMU argv for a VM, derived only from its stored definition and paths. Boot and resume use
 * the same function; a resume only adds `-incoming defer`, because an incoming migration needs the
 * identical machine, memory backend, devices and ids (qemu.md "Gotchas").
 * @module
 */
import { guestAgentArgs } from './guest-agent/command-line.js';
import { machineArgs } from './machine/index.js';
import { networkArgs } from './network/network.js';
import type { VmDefinition, VmPaths } from './vm-definition.js';

export interface CommandLineOptions {
  /** Start paused, waiting for `migrate-incoming` (resume from a saved state). */
  incoming: boolean;
}

/** The id of the guest's ready port; its `VSERPORT_CHANGE` event is the readiness signal. */
export const READY_PORT_ID = 'rdyport';
export const READY_PORT_NAME = 'org.hvkube.ready';

export function qemuArgs(def: VmDefinition, paths: VmPaths, options: CommandLineOptions): string[] {
  const machine = machineArgs(def.shape, paths);
  const args = [
    '-name', `hvk-${def.name}`,
    '-machine', `${def.machine},memory-backend=ram0${machine.machineOptions}`,
    '-accel', def.accel,
    '-cpu', `${def.cpuModel}${machine.cpuOptions}`,
    '-m', `${def.memoryMb}M`,
    // share=on writes guest RAM through to the file, which is what lets x-ignore-shared skip it.
    '-object', `memory-backend-file,id=ram0,size=${def.memoryMb}M,mem-path=${opt(paths.ram)},share=on`,
    '-smp', String(def.cpus),
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    ...machine.display,
    '-qmp', `unix:${opt(paths.qmpSocket)},server=on,wait=off`,
    // The serial log records guest output even while no client is connected to the socket.
    '-chardev', `socket,id=ser0,path=${opt(paths.serialSocket)},server=on,wait=off,logfile=${opt(paths.serialLog)},logappend=on`,
    '-serial', 'chardev:ser0',
    '-device', 'virtio-serial-pci,id=vser',
    // A file backend is always "connected", so the guest's READY write never blocks, and the
    // file is the evidence of readiness a later hvkube process can read.
    '-chardev', `file,id=rdy,path=${opt(paths.readyLog)},append=on`,
    '-device', `virtserialport,chardev=rdy,name=${READY_PORT_NAME},id=${READY_PORT_ID}`,
    ...(def.guestAgent ? guestAgentArgs(paths.agentSocket) : []),
    '-device', 'qemu-xhci,id=xhci',
    '-device', 'usb-tablet,id=tablet,bus=xhci.0',
    '-drive', `file=${opt(def.diskPath)},if=none,id=d0,node-name=d0n,format=${def.diskFormat},cache=writeback`,
    ...machine.disk,
    ...networkArgs(def.network, def.forwards, machine.nicModel),
    ...machine.extra,
  ];
  if (def.boot) {
    args.push('-kernel', def.boot.kernel, '-append', def.boot.cmdline);
    if (def.boot.initrd) args.push('-initrd', def.boot.initrd);
  }
  if (def.vncDisplay !== null) args.push('-vnc', `127.0.0.1:${def.vncDisplay}`);
  if (options.incoming) args.push('-incoming', 'defer');
  return args;
}

/** QEMU option values use "," as separator; a literal comma is written twice. */
function opt(value: string): string {
  return value.replaceAll(',', ',,');
}
