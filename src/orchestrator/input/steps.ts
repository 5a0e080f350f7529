/**
 * Input steps: the primitive, serialisable form every action list is compiled into before it runs,
 * in real screen pixels. A host runs them on its hypervisor; a fleet host forwards them to the
 * VM's owner as they are.
 * @module
 */
import { z } from 'zod';
import type { Clock } from '../../_util/clock.js';
import type { ClickCount, Hypervisor, MouseButton } from '../../hypervisor/hypervisor.js';

export type InputStep =
  | { kind: 'move'; x: number; y: number }
  | { kind: 'click'; x: number; y: number; button: MouseButton; count: ClickCount }
  | { kind: 'button'; button: MouseButton; down: boolean }
  | { kind: 'keys'; chords: string[] }
  | { kind: 'key'; keys: string[]; down: boolean }
  | { kind: 'type'; text: string }
  | { kind: 'scroll'; delta: number }
  | { kind: 'wait'; ms: number };

const coord = z.number().int().min(0).max(16_384);
const button = z.enum(['left', 'right', 'middle']);

/** The steps as a fleet host receives them (checked again: the sender is another process). */
export const inputStepsSchema = z
  .array(
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('move'), x: coord, y: coord }),
      z.strictObject({ kind: z.literal('click'), x: coord, y: coord, button, count: z.union([z.literal(1), z.literal(2), z.literal(3)]) }),
      z.strictObject({ kind: z.literal('button'), button, down: z.boolean() }),
      z.strictObject({ kind: z.literal('keys'), chords: z.array(z.string().min(1).max(60)).min(1).max(100) }),
      z.strictObject({ kind: z.literal('key'), keys: z.array(z.string().min(1).max(40)).min(1).max(8), down: z.boolean() }),
      z.strictObject({ kind: z.literal('type'), text: z.string().max(10_000) }),
      z.strictObject({ kind: z.literal('scroll'), delta: z.number().int().min(-100).max(100) }),
      z.strictObject({ kind: z.literal('wait'), ms: z.number().int().min(0).max(60_000) }),
    ]),
  )
  .max(5_000);

/**
 * Runs steps in order on the VM. When one fails, the keys and buttons these steps pressed and had
 * not released yet are released (best effort) before the error goes on, so a failed drag or hold
 * does not leave a button or Ctrl down. Keys or buttons the list leaves down on purpose (a
 * `mouse_down` action) stay down when it succeeds.
 */
export async function runInputSteps(hv: Hypervisor, name: string, steps: readonly InputStep[], clock: Pick<Clock, 'sleep'>): Promise<void> {
  const keysDown: string[] = [];
  const buttonsDown: MouseButton[] = [];
  try {
    for (const step of steps) {
      switch (step.kind) {
        case 'move':
          await hv.mouseMove(name, step.x, step.y);
          break;
        case 'click':
          await hv.click(name, step.x, step.y, { button: step.button, count: step.count });
          break;
        case 'button':
          if (step.down) await hv.mouseDown(name, step.button);
          else await hv.mouseUp(name, step.button);
          if (step.down) buttonsDown.push(step.button);
          else buttonsDown.splice(0, buttonsDown.length, ...buttonsDown.filter((b) => b !== step.button));
          break;
        case 'keys':
          await hv.pressKeys(name, step.chords);
          break;
        case 'key':
          if (step.down) await hv.keyDown(name, step.keys);
          else await hv.keyUp(name, step.keys);
          if (step.down) keysDown.push(...step.keys);
          else keysDown.splice(0, keysDown.length, ...keysDown.filter((k) => !step.keys.includes(k)));
          break;
        case 'type':
          await hv.typeText(name, step.text);
          break;
        case 'scroll':
          await hv.scroll(name, step.delta);
          break;
        case 'wait':
          await clock.sleep(step.ms);
          break;
      }
    }
  } catch (e) {
    for (const b of buttonsDown.reverse()) await hv.mouseUp(name, b).catch(() => undefined);
    if (keysDown.length > 0) await hv.keyUp(name, [...keysDown].reverse()).catch(() => undefined);
    throw e;
  }
}
