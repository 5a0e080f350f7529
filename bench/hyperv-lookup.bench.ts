/**
 * Finding a VM: `Get-VM | Where-Object { $_.Name -eq $Name }` (every VM on the host) against
 * `Get-VM -Id` (one VM), with 200 VMs in the stand-in. The stand-in has no real per-VM cost, so
 * the table shows two rows per mode: the stand-in as it is, and with a modelled cost per VM object
 * that Get-VM enumerates (HVKUBE_BENCH_GETVM_MS, default 2 ms: an assumption, not a measurement;
 * the real-host suite measures Get-VM on a host). Writes bench/results/hyperv-lookup.json.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PowerShellSession, type SessionOptions } from '../src/hypervisor/hyperv/powershell-session.js';
import type { StandinHost } from '../src/hypervisor/hyperv/standin/testing.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

const VMS = Number(process.env.HVKUBE_BENCH_VMS ?? 200);
const CALLS = Number(process.env.HVKUBE_BENCH_LOOKUPS ?? 40);
const MODELLED_MS = Number(process.env.HVKUBE_BENCH_GETVM_MS ?? 2);

async function seed(options: SessionOptions, dir: string): Promise<Map<string, string>> {
  const disk = path.join(dir, 'bench-parent.vhdx');
  writeFileSync(disk, 'placeholder');
  const session = new PowerShellSession(options);
  const ids = new Map<string, string>();
  try {
    for (let i = 0; i < VMS; i++) {
      const name = `hvk-lookup-${String(i).padStart(3, '0')}`;
      const result = (await session.call('new-vm', {
        Name: name,
        VhdPath: disk,
        Path: dir,
        MemoryStartupBytes: 2048 * 1024 * 1024,
        ProcessorCount: 2,
        DynamicMemory: false,
        MemoryMinimumBytes: 0,
        MemoryMaximumBytes: 0,
        AutomaticStopAction: 'Save',
        SecureBootTemplate: 'MicrosoftWindows',
      })) as { vm: { id: string } };
      ids.set(name, result.vm.id);
    }
  } finally {
    await session.close();
  }
  return ids;
}

async function measure(options: SessionOptions, ids: Map<string, string>, byId: boolean): Promise<{ p50_ms: number; p99_ms: number }> {
  const session = new PowerShellSession(options);
  const names = [...ids.keys()];
  try {
    await session.ready();
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const name = names[(i * 37) % names.length] ?? '';
      const t = performance.now();
      await session.call('get-vm', byId ? { Name: name, Id: ids.get(name) ?? '' } : { Name: name });
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return { p50_ms: round(percentile(samples, 50)), p99_ms: round(percentile(samples, 99)) };
  } finally {
    await session.close();
  }
}

export async function lookupBench(host: StandinHost, options: SessionOptions): Promise<void> {
  const ids = await seed(options, host.stateDir);
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown> = { vms: VMS, calls: CALLS, modelled_ms_per_vm: MODELLED_MS };
  for (const perVm of [0, MODELLED_MS]) {
    const env = { ...options.env, HVKUBE_STANDIN_LATENCY: JSON.stringify({ getVmPerVm: perVm }) };
    const scan = await measure({ ...options, env }, ids, false);
    const byId = await measure({ ...options, env }, ids, true);
    const label = perVm === 0 ? 'stand-in as is' : `modelled ${perVm} ms per VM object`;
    rows.push([label, 'Get-VM | Where-Object', VMS, scan.p50_ms, scan.p99_ms]);
    rows.push([label, 'Get-VM -Id', 1, byId.p50_ms, byId.p99_ms]);
    results[perVm === 0 ? 'standin' : 'modelled'] = { where_object: { objects: VMS, ...scan }, by_id: { objects: 1, ...byId } };
  }
  console.log(`\nVM lookup with ${VMS} VMs on the stand-in (get-vm, ${CALLS} calls each)`);
  printTable(['cost', 'lookup', 'VM objects', 'p50 ms', 'p99 ms'], rows);
  console.log(`written to ${writeResult('hyperv-lookup.json', results)}`);
}
