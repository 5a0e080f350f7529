/**
 * Provisioning progress: one bar per VM on a TTY (cli-progress), one line per step otherwise.
 * Always on stderr so `--json` output stays clean.
 * @module
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../orchestrator/context.js';
import type { Out } from './output.js';

const STEPS: ProgressEvent['step'][] = ['disk', 'create', 'boot', 'ready', 'checkpoint', 'save', 'done'];

export interface ProgressView {
  update(e: ProgressEvent): void;
  stop(): void;
}

export function provisioningProgress(out: Out, quiet = false): ProgressView {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  if (!out.isTTY) {
    return {
      update: (e) => out.error(`${e.vm}: ${e.step}${e.message ? ` (${e.message})` : ''}\n`),
      stop: () => undefined,
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: ' {vm} [{bar}] {step}', hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(e) {
      let bar = bars.get(e.vm);
      if (!bar) {
        bar = multi.create(STEPS.length, 0, { vm: e.vm, step: e.step });
        bars.set(e.vm, bar);
      }
      const i = STEPS.indexOf(e.step);
      bar.update(i >= 0 ? i + 1 : STEPS.length, { vm: e.vm, step: e.step === 'failed' ? `failed: ${e.message ?? ''}` : e.step });
    },
    stop: () => multi.stop(),
  };
}
