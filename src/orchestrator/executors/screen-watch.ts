/**
 * Watching a VM's screen for change. Frames are compared pixel by pixel, and a change smaller
 * than `minPixels` is ignored: a real guest's blinking cursor must not count as "the screen
 * changed", or a screen would never be stable.
 * @module
 */
import { PNG } from 'pngjs';
import { TaskError, type ExecutionContext } from './executor.js';

export interface Frame {
  width: number;
  height: number;
  data: Buffer;
}

export async function captureFrame(ctx: ExecutionContext): Promise<Frame> {
  const png = PNG.sync.read(await ctx.console.screenshot(ctx.vm.name));
  return { width: png.width, height: png.height, data: png.data };
}

/** Pixels that differ (a different size counts as all of them). */
export function changedPixels(a: Frame, b: Frame): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let changed = 0;
  for (let i = 0; i < a.data.length; i += 4) if (a.data.readUInt32BE(i) !== b.data.readUInt32BE(i)) changed++;
  return changed;
}

export interface WatchOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Smaller changes are noise (a cursor blinking). */
  minPixels: number;
}

/** Resolves once the screen differs from `baseline` by at least `minPixels`; TaskError after the timeout. */
export async function waitForChange(ctx: ExecutionContext, baseline: Frame, o: WatchOptions, what: string): Promise<void> {
  const deadline = ctx.clock.now() + o.timeoutMs;
  for (;;) {
    if (changedPixels(baseline, await captureFrame(ctx)) >= o.minPixels) return;
    if (ctx.clock.now() >= deadline) throw new TaskError(`${what}: the screen did not change within ${o.timeoutMs / 1000} s`);
    await ctx.clock.sleep(o.intervalMs, ctx.signal);
  }
}

/** Resolves once the screen has not changed (by `minPixels` or more) for `stableMs`; TaskError after the timeout. */
export async function waitUntilStable(ctx: ExecutionContext, stableMs: number, o: WatchOptions, what: string): Promise<void> {
  const started = ctx.clock.now();
  let last = await captureFrame(ctx);
  let since = started;
  for (;;) {
    if (ctx.clock.now() - since >= stableMs) return;
    if (ctx.clock.now() - started >= o.timeoutMs) throw new TaskError(`${what}: the screen kept changing for ${o.timeoutMs / 1000} s`);
    await ctx.clock.sleep(o.intervalMs, ctx.signal);
    const frame = await captureFrame(ctx);
    if (changedPixels(last, frame) >= o.minPixels) {
      last = frame;
      since = ctx.clock.now();
    }
  }
}
