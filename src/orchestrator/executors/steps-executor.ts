/**
 * `steps`: built-in console actions on the VM's screen, keyboard and mouse. Needs nothing inside
 * the guest. `{{input.x}}` is substituted in the text of `type_text` only.
 * @module
 */
import { substituteText } from '../workflows/substitute.js';
import type { Step } from '../workflows/step-schema.js';
import { TaskError, throwIfAborted, type ExecutionContext, type Executor } from './executor.js';
import { captureFrame, waitForChange, waitUntilStable, type Frame } from './screen-watch.js';

/** How a step reads in the log. Typed text is shown as written in the workflow, before substitution, so input values (perhaps secrets) stay out of logs. */
function describe(step: Step): string {
  switch (step.kind) {
    case 'type_text':
      return `type_text ${JSON.stringify(step.text.length > 60 ? `${step.text.slice(0, 60)}…` : step.text)}`;
    case 'press_keys':
      return `press_keys ${step.keys.join(' ')}`;
    case 'click':
      return `click ${step.x},${step.y}${step.button === 'left' ? '' : ` ${step.button}`}${step.double ? ' double' : ''}`;
    case 'move_mouse':
      return `move_mouse ${step.x},${step.y}`;
    case 'wait':
      return `wait ${step.seconds} s`;
    case 'wait_for_change':
      return `wait_for_change (up to ${step.timeoutS} s)`;
    case 'wait_until_stable':
      return `wait_until_stable ${step.stableForS} s (up to ${step.timeoutS} s)`;
    case 'screenshot':
      return step.label ? `screenshot "${step.label}"` : 'screenshot';
  }
}

/** Actions after which a following `wait_for_change` compares against the screen from before them. */
const INPUT_STEPS: ReadonlySet<Step['kind']> = new Set(['type_text', 'press_keys', 'click', 'move_mouse']);

export const stepsExecutor: Executor = {
  name: 'steps',
  async run(ctx: ExecutionContext): Promise<unknown> {
    if (ctx.workflow.executor !== 'steps') throw new TaskError(`workflow ${ctx.workflow.name} is not a steps workflow`);
    const steps = ctx.workflow.steps;
    const vm = ctx.vm.name;
    const screenshots: string[] = [];
    // The screen before the last input action, so a fast reaction is not missed by the wait after it.
    let baseline: Frame | null = null;
    for (const [i, step] of steps.entries()) {
      throwIfAborted(ctx.signal);
      const what = `step ${i + 1}/${steps.length} (${step.kind})`;
      ctx.log(`step ${i + 1}/${steps.length}: ${describe(step)}`);
      if (INPUT_STEPS.has(step.kind)) baseline = steps[i + 1]?.kind === 'wait_for_change' ? await captureFrame(ctx) : null;
      switch (step.kind) {
        case 'type_text':
          await ctx.console.typeText(vm, substituteText(step.text, ctx.input));
          break;
        case 'press_keys':
          await ctx.console.pressKeys(vm, step.keys);
          break;
        case 'click':
          await ctx.console.click(vm, step.x, step.y, { button: step.button, double: step.double });
          break;
        case 'move_mouse':
          await ctx.console.mouseMove(vm, step.x, step.y);
          break;
        case 'wait':
          await ctx.clock.sleep(step.seconds * 1000, ctx.signal);
          break;
        case 'wait_for_change':
          await waitForChange(ctx, baseline ?? (await captureFrame(ctx)), { timeoutMs: step.timeoutS * 1000, intervalMs: step.intervalMs, minPixels: step.minPixels }, what);
          baseline = null;
          break;
        case 'wait_until_stable':
          await waitUntilStable(ctx, step.stableForS * 1000, { timeoutMs: step.timeoutS * 1000, intervalMs: step.intervalMs, minPixels: step.minPixels }, what);
          break;
        case 'screenshot': {
          const file = await ctx.saveScreenshot(await ctx.console.screenshot(vm), step.label);
          screenshots.push(file);
          ctx.log(`saved ${file}`);
          break;
        }
      }
    }
    return { steps: steps.length, screenshots };
  },
};
