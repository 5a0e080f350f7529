// One process of the soak test (test/e2e/soak.test.ts), on the built package, sharing a data
// directory (SQLite file and fake host state) with the others.
//   node soak-worker.mjs DIR server        pool controller and lease expiry, reconcile at start
//   node soak-worker.mjs DIR client ID MS  acquire, renew, release, reconcile for MS milliseconds
import path from 'node:path';
import { Orchestrator } from '../../dist/index.js';
import { createFakeHypervisor } from '../../dist/hypervisor/fake/index.js';
import { createSqliteStore } from '../../dist/store/index.js';

const [dir, role, id = '0', forMs = '0'] = process.argv.slice(2);
const store = createSqliteStore({ file: path.join(dir, 'hvkube.db') });
await store.migrate();
const hv = createFakeHypervisor({
  dataDir: dir,
  stateFile: path.join(dir, 'fake-host.json'),
  // Faults: some resumes fail (the VM is repaired and another one tried).
  resumeFailureRate: role === 'client' ? 0.1 : 0,
  randomSeed: Number(id) + 1,
  latencies: { resume: 40, save: 40, restore: 20, boot: 30 },
});
const orch = new Orchestrator({ store, hypervisor: hv, settings: { readyTimeoutMs: 5000 } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stop = async () => {
  await orch.close();
  await hv.close();
  await store.close();
};

if (role === 'server') {
  await orch.reconcile({ waitForRepairs: false });
  orch.controller.start(200);
  process.stdout.write('ready\n');
  // The controller's timer does not keep a process alive; this does, until SIGTERM.
  const alive = setInterval(() => undefined, 60_000);
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  clearInterval(alive);
  await stop();
} else {
  const until = Date.now() + Number(forMs);
  let round = 0;
  process.stdout.write('ready\n');
  while (Date.now() < until) {
    round++;
    try {
      if (round % 7 === 0) await orch.reconcile();
      const got = await orch.acquire({ pool: 'p', holder: `w${id}`, timeoutMs: 1500, leaseTtlMs: 2000 });
      await sleep(Math.random() * 150);
      await orch.renewLease(got.vm.name, got.leaseId, 2000).catch(() => undefined);
      await sleep(Math.random() * 150);
      // Now and then the holder walks away: its lease expires and the controller takes the VM back.
      if (Math.random() < 0.1) continue;
      const r = await orch.release(got.vm.name, { leaseId: got.leaseId, policy: Math.random() < 0.3 ? 'reset' : 'save' });
      await r.done;
    } catch {
      await sleep(50);
    }
  }
  await stop();
}
