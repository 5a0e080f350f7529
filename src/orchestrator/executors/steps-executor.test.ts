import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO } from '../../../test/helpers/hello-workflow.js';
import { kit, type Kit } from '../scheduler/scheduler-kit.case.js';

let k: Kit;
afterEach(async () => {
  await k.close();
});

/** The hello workflow of the issue, kept as written but saving the VM so its screen can be read afterwards. */
const HELLO_KEPT = HELLO.replace('executor: steps\n', 'executor: steps\nrelease: save\n');

describe('steps executor on the fake console', () => {
  it('runs workflows/hello.yaml as written: types with substitution, presses enter, saves a screenshot', async () => {
    k = await kit({ workflows: { hello: HELLO_KEPT } });
    const a = await k.scheduler.submit({ pool: 'p', workflow: 'hello', input: { who: 'there' } });
    const done = await k.scheduler.waitFor(a.id);
    expect(done.status).toBe('completed');
    const screen = (await k.h.hv.screenText(done.vm ?? '')).join('\n');
    expect(screen).toContain('$ hello there');
    const shot = done.result?.screenshots[0] ?? '';
    expect(shot).toBe(path.join('artifacts', a.id, '001.png'));
    const png = readFileSync(k.scheduler.artifacts.resolve(shot));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('uses the default of an input that is not given', async () => {
    k = await kit({ workflows: { hello: HELLO_KEPT } });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'hello' })).id);
    expect((await k.h.hv.screenText(done.vm ?? '')).join('\n')).toContain('$ hello world');
  });

  it('clicks, waits for the screen to change and to settle', async () => {
    k = await kit({
      workflows: {
        watch: `name: watch
executor: steps
release: save
steps:
  - type_text: "echo ready"
  - wait_for_change: { timeout: 2, interval_ms: 20 }
  - press_keys: [enter]
  - wait_until_stable: { stable_for: 0.1, timeout: 2, interval_ms: 20 }
  - click: { x: 120, y: 40, button: right }
  - move_mouse: { x: 10, y: 10 }
  - screenshot: { label: "after" }
`,
      },
    });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'watch' })).id);
    expect(done.status).toBe('completed');
    const lines = await k.h.hv.screenText(done.vm ?? '');
    expect(lines.join('\n')).toContain('ready');
    expect(lines.at(-1)).toContain('pointer 10,10');
    const log = (await k.scheduler.logs(done.id)).map((l) => l.message);
    expect(log.some((m) => m.includes(': after'))).toBe(true);
  });

  it('fails a wait_for_change that sees no change, naming the step, and keeps a last screenshot', async () => {
    k = await kit({ workflows: { idle: 'name: idle\nexecutor: steps\nsteps:\n  - wait_for_change: { timeout: 0.3, interval_ms: 50 }\n' } });
    const done = await k.scheduler.waitFor((await k.scheduler.submit({ pool: 'p', workflow: 'idle' })).id);
    expect(done.status).toBe('failed');
    expect(done.result?.error).toMatch(/step 1\/1 \(wait_for_change\): the screen did not change within 0.3 s/);
    expect(done.result?.screenshots).toHaveLength(1);
    expect(existsSync(k.scheduler.artifacts.resolve(done.result?.screenshots[0] ?? ''))).toBe(true);
  });
});
