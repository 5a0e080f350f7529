/**
 * `hvkube doctor`: is this host ready to run VMs? Each check says what it found and, when it is
 * not right, what to do. Exit 1 when a check fails.
 * @module
 */
import { existsSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import type { Runtime } from '../../runtime.js';
import { findOnPath } from '../../_util/which.js';
import { json, paint, table } from '../output.js';
import { HvkubeError } from '../../domain/errors.js';
import { globals, serverUrl, withRuntime } from '../runtime-scope.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
  fix: string | null;
}

const QEMU_PACKAGES = 'sudo apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils busybox-static cpio e2fsprogs';

async function backendChecks(rt: Runtime, probe: boolean): Promise<Check[]> {
  if (rt.backend === 'hyperv') {
    const { hypervDoctor, HypervHypervisor } = await import('../../hypervisor/hyperv/index.js');
    if (!(rt.hypervisor instanceof HypervHypervisor)) return [];
    return hypervDoctor(rt.hypervisor.scripts, {
      switchName: rt.config.hyperv.switchName,
      ...(rt.config.hyperv.vmDir ? { vmDirectory: rt.config.hyperv.vmDir } : {}),
    });
  }
  if (rt.backend === 'qemu') {
    const { QemuHypervisor, describeVerdict } = await import('../../hypervisor/qemu/index.js');
    const qemu = findOnPath(rt.config.qemu.binary);
    const img = findOnPath('qemu-img');
    const checks: Check[] = [
      { check: 'qemu', ok: qemu !== null, detail: qemu ?? `${rt.config.qemu.binary} not found on PATH`, fix: qemu ? null : QEMU_PACKAGES },
      { check: 'qemu-img', ok: img !== null, detail: img ?? 'not found on PATH', fix: img ? null : QEMU_PACKAGES },
    ];
    if (qemu && rt.hypervisor instanceof QemuHypervisor) {
      const verdict = await rt.hypervisor.accel({ probe });
      const forcedButBroken = verdict.accel === 'kvm' && verdict.kvm !== 'usable';
      const when = verdict.probedAt ? ` [probed ${verdict.cached ? verdict.probedAt : `now, ${verdict.probeMs ?? 0} ms`}]` : '';
      checks.push({
        check: 'acceleration',
        ok: !forcedButBroken,
        detail: `${describeVerdict(verdict)}${when}`,
        fix: forcedButBroken ? 'set "qemu": {"accel": "auto"} in config.json, or fix KVM on this host and run `hvkube doctor --probe`' : null,
      });
    }
    return [
      ...checks,
      { check: 'demo guest tools', ok: existsSync('/bin/busybox'), detail: existsSync('/bin/busybox') ? 'busybox present' : 'busybox-static missing (only `hvkube demo` needs it)', fix: existsSync('/bin/busybox') ? null : QEMU_PACKAGES },
    ];
  }
  return [{ check: 'backend', ok: true, detail: 'fake: a simulated host, for trials and tests', fix: null }];
}

async function hostChecks(rt: Runtime): Promise<Check[]> {
  const host = await rt.hypervisor.hostInfo();
  const checks: Check[] = [
    { check: 'host', ok: true, detail: `${host.hostname}: ${host.cpus} CPUs, ${host.totalMemoryMb} MB memory`, fix: null },
    {
      check: 'free memory',
      ok: host.freeMemoryMb >= 1024,
      detail: `${host.freeMemoryMb} MB free`,
      fix: host.freeMemoryMb >= 1024 ? null : 'save or stop running VMs, or lower pool sizes',
    },
  ];
  if (host.freeDiskMb !== null) {
    checks.push({ check: 'free disk', ok: host.freeDiskMb >= 5 * 1024, detail: `${host.freeDiskMb} MB free for VMs`, fix: host.freeDiskMb >= 5 * 1024 ? null : 'free disk space in the data directory' });
  }
  checks.push({ check: 'store', ok: true, detail: `${rt.store.dialect} (${rt.config.databaseUrl ? 'database URL' : `${rt.config.dataDir}`})`, fix: null });
  return checks;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check that this host can run hvkube VMs, and say what to fix')
    .option('--probe', 'probe the accelerator again (QEMU: boot a tiny guest under KVM) instead of reading the cached verdict')
    .action(async (o, command) => {
      // It checks the machine it runs on; with --server it would only open a local store here.
      if (serverUrl(globals(command)) !== undefined) {
        throw new HvkubeError('INVALID_INPUT', 'doctor checks the host it runs on and takes no --server (nor HVKUBE_SERVER)', {
          hint: "run `hvkube doctor` on the server's host; `hvkube host list --server URL` shows the hosts of a fleet",
        });
      }
      await withRuntime(command, async ({ rt, out, json: asJson }) => {
        const checks = [...(await backendChecks(rt, o.probe === true)), ...(await hostChecks(rt))];
        if (asJson) json(out, { backend: rt.backend, checks });
        else {
          out.write(`backend: ${rt.backend}\n`);
          out.write(table(['CHECK', 'OK', 'DETAIL'], checks.map((c) => [c.check, c.ok ? paint(out, 'green', 'ok') : paint(out, 'red', 'FAIL'), c.detail])));
          for (const c of checks.filter((x) => !x.ok && x.fix)) out.write(`\nto fix ${c.check}: ${c.fix}\n`);
        }
        if (checks.some((c) => !c.ok)) process.exitCode = 1;
      });
    });
}
