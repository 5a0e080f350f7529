/**
 * `hvkube demo`: the whole path on this machine, in one command — template, pool, provisioning,
 * acquire (cold boot vs resume), typing, a screenshot, release with reset. It says what runs the
 * guests (and why), records its figures in `demo-result.json`, and leaves no VM process running
 * when it fails or is interrupted (Ctrl-C): it says in one line how to remove what it created.
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import type { TemplateInput } from '../../orchestrator/catalog.js';
import { HvkubeError, isHvkubeError } from '../../domain/errors.js';
import { ms, paint, processOut, type Out } from '../output.js';
import { provisioningProgress } from '../progress.js';

const TEMPLATE = 'demo';
const POOL = 'demo';

/** Demo latencies for the simulated host, so the numbers look like a small real guest. */
const FAKE_DEMO_LATENCY = JSON.stringify({ boot: 2500, resume: 250, save: 300, restore: 150, checkpoint: 100 });

async function demoTemplate(rt: Runtime, out: Out): Promise<TemplateInput> {
  if (rt.backend === 'qemu') {
    const { buildDemoImage } = await import('../../hypervisor/qemu/index.js');
    // A shared image folder (HVKUBE_DEMO_IMAGE_DIR) saves rebuilding it for every data directory.
    const dir = process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(rt.config.dataDir, 'images', 'demo');
    const image = await buildDemoImage(dir, { onProgress: (step) => out.error(`    image: ${step}\n`) });
    return {
      name: TEMPLATE,
      diskPath: image.diskPath,
      memoryMb: 128,
      cpus: 1,
      probes: [{ type: 'heartbeat' }],
      boot: { kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
    };
  }
  if (rt.backend === 'fake') {
    const image = path.join(rt.config.dataDir, 'images', 'demo.vhdx');
    mkdirSync(path.dirname(image), { recursive: true });
    if (!existsSync(image)) writeFileSync(image, 'simulated golden image\n');
    out.error(paint(out, 'yellow', 'note: this demo runs on the simulated (fake) hypervisor; pass --backend qemu on a Linux host with QEMU for real VMs\n'));
    return { name: TEMPLATE, diskPath: image, memoryMb: 256, cpus: 1 };
  }
  throw new HvkubeError('INVALID_INPUT', `the demo builds a Linux guest for QEMU; this host uses the ${rt.backend} backend`, {
    hint: 'on Windows, register your own image: hvkube template create --name win11 --vhdx C:\\images\\win11.vhdx',
  });
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('provision a pool of 3 (2 warm), acquire a VM, type into it, screenshot, reset')
    .action(async (_o, command) => {
      const g = command.optsWithGlobals() as { dataDir?: string; backend?: string };
      const dataDir = path.resolve(g.dataDir ?? path.join(process.cwd(), '.hvkube-demo'));
      if ((g.backend ?? 'auto') === 'fake' && !process.env.HVKUBE_FAKE_LATENCY) process.env.HVKUBE_FAKE_LATENCY = FAKE_DEMO_LATENCY;
      const config = loadConfig({ dataDir, backend: g.backend });
      const out = processOut();
      const rt = await openRuntime(config);
      const cli = process.env.npm_lifecycle_event ? 'npm run hvkube --' : 'hvkube';
      const removeHint = `to remove what the demo created: ${cli} --data-dir ${rt.config.dataDir} pool remove ${POOL}\n`;
      const stopVms = async (): Promise<void> => {
        const { QemuHypervisor } = await import('../../hypervisor/qemu/index.js');
        if (rt.hypervisor instanceof QemuHypervisor) await rt.hypervisor.powerOffAll(`${rt.config.vmPrefix}${POOL}-`);
      };
      let interrupted = false;
      const onInterrupt = (): void => {
        if (interrupted) return;
        interrupted = true;
        out.error('\ninterrupted: stopping the demo\'s VMs\n');
        void stopVms()
          .catch((e: unknown) => out.error(`could not stop every VM: ${e instanceof Error ? e.message : String(e)}\n`))
          .finally(() => {
            out.error(removeHint);
            process.exit(130);
          });
      };
      // `on`, not `once`: a second signal during clean-up must not end the process before its VMs
      // are stopped (with no listener left, Node's default action would kill it at once).
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      try {
        await runDemo(rt, out);
      } catch (e) {
        await stopVms().catch(() => undefined);
        out.error(removeHint);
        throw e;
      } finally {
        // Once interrupted, the handler owns the exit (130 after the VMs are stopped).
        if (!interrupted) {
          process.off('SIGINT', onInterrupt);
          process.off('SIGTERM', onInterrupt);
          await rt.close();
        }
      }
    });
}

async function runDemo(rt: Runtime, out: Out): Promise<void> {
  const orch = rt.orchestrator;
  const say = (s: string): void => out.write(`${paint(out, 'bold', '==>')} ${s}\n`);
  say(`backend: ${rt.backend}, data directory: ${rt.config.dataDir}`);
  const accel = await acceleratorOf(rt);
  if (accel) say(`accelerator: ${accel.describe}`);
  await orch.reconcile();

  const input = await demoTemplate(rt, out);
  try {
    await orch.getTemplate(TEMPLATE);
    say(`template ${TEMPLATE} already registered`);
  } catch (e) {
    if (!isHvkubeError(e, 'TEMPLATE_NOT_FOUND')) throw e;
    await orch.registerTemplate(input);
    say(`template ${TEMPLATE} registered from ${input.diskPath}`);
  }
  try {
    await orch.getPool(POOL);
  } catch (e) {
    if (!isHvkubeError(e, 'POOL_NOT_FOUND')) throw e;
    await orch.createPool({ name: POOL, template: TEMPLATE, desired: 3, warm: 2, releasePolicy: 'reset' });
    say(`pool ${POOL} created: 3 VMs, 2 warm`);
  }

  say('provisioning: clone disk, first boot, checkpoint "clean", save');
  const view = provisioningProgress(out);
  const onProgress = view.update.bind(view);
  orch.events.on('progress', onProgress);
  const report = await orch.provisionPool(POOL).finally(() => {
    orch.events.off('progress', onProgress);
    view.stop();
  });
  const status = report.status;
  say(`pool ready: ${status.ready} saved/hot of ${status.total} VMs (${report.provisioned.length} provisioned now)`);

  const vms = await orch.listVms({ pool: POOL });
  const boots = vms.map((v) => v.bootMs).filter((x): x is number => x !== null);
  const coldBoot = boots.length ? boots.reduce((a, b) => a + b, 0) / boots.length : null;

  // What `hvkube serve` does all the time: a controller pass, which also has the backend get the
  // next VM's resume ready (QEMU pre-starts its process).
  await orch.controller.tick(POOL);
  await orch.controller.idle();

  say('acquiring a desktop');
  const acquired = await orch.acquire({ pool: POOL, holder: 'demo', timeoutMs: 120_000 });
  const vm = acquired.vm;
  out.write(`    ${vm.name}: cold boot ${ms(coldBoot)} → resume ${paint(out, 'green', ms(acquired.resumeMs))}` +
    (coldBoot ? ` (${(coldBoot / Math.max(1, acquired.resumeMs)).toFixed(1)}x faster)\n` : '\n'));

  const result = {
    at: new Date().toISOString(),
    backend: rt.backend,
    accel: accel?.label ?? null,
    cpuModel: accel?.cpuModel ?? null,
    probe: accel?.describe ?? null,
    coldBootMs: coldBoot === null ? null : Math.round(coldBoot),
    resumeMs: acquired.resumeMs,
  };
  writeFileSync(path.join(rt.config.dataDir, 'demo-result.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (accel) out.write(`    on ${accel.label}, -cpu ${accel.cpuModel}\n`);

  say('typing: echo hello from hvkube');
  const before = await orch.screenshot(vm.name);
  await orch.typeText(vm.name, 'echo hello from hvkube\n');
  const png = await settledScreen(() => orch.screenshot(vm.name), before);
  const shot = path.join(rt.config.dataDir, 'demo-screenshot.png');
  writeFileSync(shot, png);
  say(`screenshot: ${shot} (${png.length} bytes)`);

  await insideTheGuest(orch, vm.name, say);

  say('releasing with reset (back to the clean checkpoint, saved)');
  const released = await orch.release(vm.name, { policy: 'reset', actor: 'demo' });
  const after = await released.done;
  say(`${vm.name} is ${after?.state ?? 'gone'} again`);

  // From a checkout (`npm run demo`) the CLI is reached through npm; installed, it is on PATH.
  const cli = process.env.npm_lifecycle_event ? 'npm run hvkube --' : 'hvkube';
  const d = rt.config.dataDir;
  out.write(`\nEverything lives in ${d}:\n` +
    `  ${cli} --data-dir ${d} pool show ${POOL}\n` +
    `  ${cli} --data-dir ${d} vm list\n` +
    `  ${cli} --data-dir ${d} pool remove ${POOL}   # removes the VMs and their disks\n`);
}

/**
 * Runs a command in the guest and copies a file in and out, from the host with no network in the
 * guest; skipped with one line where the backend has no guest channel or the guest does not answer.
 */
async function insideTheGuest(orch: Runtime['orchestrator'], vm: string, say: (text: string) => void): Promise<void> {
  const guest = orch.hypervisor.guest;
  if (!guest || !(await guest.ping(vm, { timeoutMs: 5000 }).catch(() => false))) {
    say(`inside the guest: skipped (${guest ? 'the guest agent does not answer' : `the ${orch.hypervisor.backend} backend has no guest channel`})`);
    return;
  }
  const run = await orch.exec(vm, { argv: ['hostname'], timeoutMs: 30_000 });
  say(`exec hostname → exit ${run.exitCode ?? '?'}: ${run.stdout.toString('utf8').trim()} (${Math.round(run.durationMs)} ms)`);
  const content = Buffer.from(`hello from the host, ${new Date().toISOString()}\n`);
  const started = performance.now();
  await orch.writeGuestFile(vm, '/tmp/hvkube-demo.txt', content);
  const back = await orch.readGuestFile(vm, '/tmp/hvkube-demo.txt', { maxBytes: 1024 * 1024 });
  const same = Buffer.compare(back, content) === 0;
  say(`copied /tmp/hvkube-demo.txt in and out (${content.length} bytes, ${same ? 'identical' : 'DIFFERENT'}, ${Math.round(performance.now() - started)} ms)`);
  if (!same) throw new HvkubeError('INTERNAL', 'the file copied back out of the guest differs from the one copied in');
}

/** What runs the guests (QEMU: the probe's verdict), for the header and the recorded figures. */
async function acceleratorOf(rt: Runtime): Promise<{ label: string; cpuModel: string; describe: string } | null> {
  const { QemuHypervisor, describeVerdict, verdictLabel } = await import('../../hypervisor/qemu/index.js');
  if (!(rt.hypervisor instanceof QemuHypervisor)) return null;
  const verdict = await rt.hypervisor.accel();
  return { label: verdictLabel(verdict), cpuModel: verdict.cpuModel, describe: describeVerdict(verdict) };
}

/** The screen a moment after it changed from `before` (keys reach a guest after send-key returns). */
async function settledScreen(take: () => Promise<Buffer>, before: Buffer, timeoutMs = 20_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await take();
    // A blinking cursor also changes the screen, so give the rest of the line time to arrive.
    if (!now.equals(before) || Date.now() > deadline) {
      await new Promise((r) => setTimeout(r, 1500));
      return take();
    }
  }
}
