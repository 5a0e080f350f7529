/**
 * Guest agent benchmark (`npm run bench:guest-agent`): the demo guest (128 MiB) with qemu-ga,
 * under whatever accelerator this host gives. Measures guest-ping and exec round trips (p50,
 * p99), file copies into and out of the guest in MB/s per chunk size, and what setting the clock
 * adds to a resume (ordinary and pre-started). Writes bench/results/guest-agent.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoImage, createQemuHypervisor } from '../src/hypervisor/qemu/index.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const COPY_MB = Number(process.env.BENCH_COPY_MB ?? 4);

function summary(values: number[]): { p50: number; p99: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50), 1), p99: round(percentile(sorted, 99), 1), n: values.length };
}

async function main(): Promise<void> {
  const image = await buildDemoImage(process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(os.tmpdir(), 'hvkube-demo-image'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hvk-bench-ga-'));
  // The resume rows wait for the clock, to show what setting it costs.
  const hv = createQemuHypervisor({ dataDir, standbys: 1, clockSync: 'wait', clockSyncTimeoutMs: 10_000 });
  const vm = 'bench-ga';
  try {
    const disk = hv.diskPathFor(vm, image.diskPath);
    await hv.createDifferencingDisk(image.diskPath, disk);
    await hv.createVm({ name: vm, diskPath: disk, memoryMb: 128, cpus: 1, gpu: false, guestPorts: [], boot: image });
    await hv.start(vm);
    await hv.waitUntilReady(vm, 600_000);
    for (let i = 0; i < 120 && !(await hv.guest.ping(vm)); i++) await new Promise((r) => setTimeout(r, 500));
    const accel = (await hv.accel()).accel;

    const ping: number[] = [];
    const exec: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await hv.guest.ping(vm);
      ping.push(performance.now() - t);
      t = performance.now();
      await hv.guest.exec(vm, { argv: ['true'], timeoutMs: 30_000 });
      exec.push(performance.now() - t);
    }

    const copies: { chunkKiB: number; inMBps: number; outMBps: number }[] = [];
    const content = randomBytes(COPY_MB * 1024 * 1024);
    for (const chunk of [256 * 1024, 1024 * 1024]) {
      const ops = createQemuHypervisor({ dataDir, guestAgentChunkBytes: chunk }).guest;
      let t = performance.now();
      await ops.writeFile(vm, '/tmp/bench.bin', content);
      const inS = (performance.now() - t) / 1000;
      t = performance.now();
      const back = await ops.readFile(vm, '/tmp/bench.bin', { maxBytes: content.length });
      const outS = (performance.now() - t) / 1000;
      if (!back.equals(content)) throw new Error('the copy out differs from the copy in');
      copies.push({ chunkKiB: chunk / 1024, inMBps: round(COPY_MB / inS, 2), outMBps: round(COPY_MB / outS, 2) });
    }
    await hv.guest.exec(vm, { argv: ['rm', '-f', '/tmp/bench.bin'], timeoutMs: 30_000 });

    const resumes: { kind: string; resumeMs: number; clockMs: number; offsetBeforeMs: number | null; error: string | null }[] = [];
    for (let i = 0; i < 3; i++) {
      for (const kind of ['ordinary', 'pre-started']) {
        await hv.save(vm);
        if (kind === 'pre-started') await hv.prepareResume([vm]);
        await new Promise((r) => setTimeout(r, 2_000));
        const t = performance.now();
        await hv.start(vm);
        const resumeMs = performance.now() - t;
        const sync = hv.lastClockSync(vm);
        resumes.push({
          kind, resumeMs: round(resumeMs, 1), clockMs: sync?.ms ?? -1,
          offsetBeforeMs: sync?.offsetMs === null || sync === null ? null : Math.round(sync.offsetMs), error: sync?.error ?? null,
        });
      }
    }

    console.log(`guest agent, demo guest 128 MiB, ${accel}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    printTable(['round trip', 'p50 ms', 'p99 ms', 'n'], [
      ['guest-ping (connect, sync, ping)', summary(ping).p50, summary(ping).p99, ROUNDS],
      ['exec `true` (connect, sync, exec, status)', summary(exec).p50, summary(exec).p99, ROUNDS],
    ]);
    console.log();
    printTable(['chunk KiB', `in MB/s (${COPY_MB} MiB)`, 'out MB/s'], copies.map((c) => [c.chunkKiB, c.inMBps, c.outMBps]));
    console.log();
    printTable(['resume (clockSync: wait)', 'total ms', 'of which clock ms', 'guest clock before (ms)', 'error'], resumes.map((r) => [r.kind, r.resumeMs, r.clockMs, r.offsetBeforeMs ?? '-', r.error ?? '-']));
    const file = writeResult('guest-agent.json', { at: new Date().toISOString(), accel, loadavg: os.loadavg(), ping: summary(ping), exec: summary(exec), copies, resumes });
    console.log(`\nwritten to ${file}`);
  } finally {
    await hv.remove(vm).catch(() => undefined);
    await hv.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
