import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError, type HvkubeError } from '../../domain/errors.js';
import { resolveInput } from './inputs.js';
import { substituteText, substituteValue } from './substitute.js';
import { parseWorkflow } from './workflow-parse.js';
import { WorkflowCatalog } from './workflow-catalog.js';
import { HELLO } from '../../../test/helpers/hello-workflow.js';

function parse(text: string, format: 'yaml' | 'json' = 'yaml') {
  return parseWorkflow(text, { label: 'test.yaml', format, expectedName: 'hello' });
}

function errorOf(fn: () => unknown): HvkubeError {
  try {
    fn();
  } catch (e) {
    if (isHvkubeError(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('workflow files', () => {
  it('reads the hello workflow of the issue as written', () => {
    const w = parse(HELLO);
    expect(w).toMatchObject({ name: 'hello', executor: 'steps', release: 'reset', retries: 0, needsGpu: false });
    expect(w.inputs.who).toEqual({ type: 'string', default: 'world', required: false, description: null, enum: null });
    expect(w.executor === 'steps' && w.steps).toEqual([
      { kind: 'type_text', text: 'hello {{input.who}}' },
      { kind: 'press_keys', keys: ['enter'] },
      { kind: 'screenshot', label: null },
    ]);
  });

  it('reads JSON too', () => {
    const w = parse(JSON.stringify({ name: 'hello', executor: 'external', release: 'save' }), 'json');
    expect(w).toMatchObject({ executor: 'external', release: 'save' });
  });

  it.each([
    ['bad YAML, by line', 'name: hello\nexecutor: steps\nsteps: [\n', /\(root\): bad YAML: .*line \d+, column \d+/],
    ['bad JSON', '{"name": "hello",', /\(root\): bad JSON/],
    ['an unknown executor', 'name: hello\nexecutor: robot\n', /executor: must be one of steps, mcp, command, external, got "robot"/],
    ['a missing executor', 'name: hello\n', /executor: must be one of/],
    ['an unknown top-level key', 'name: hello\nexecutor: external\ntimeuot: 3\n', /\(root\): unknown key "timeuot"/],
    ['an unknown step', 'name: hello\nexecutor: steps\nsteps:\n  - type_text: a\n  - tpye_text: b\n', /steps\[1\]: unknown key "tpye_text"; a step is one of/],
    ['two actions in one step', 'name: hello\nexecutor: steps\nsteps:\n  - { type_text: a, wait: 1 }\n', /steps\[0\]: has type_text and wait/],
    ['a bad key chord', 'name: hello\nexecutor: steps\nsteps:\n  - press_keys: [enter, ctrl+nope]\n', /steps\[0\]\.press_keys\[1\]: /],
    ['a click without y', 'name: hello\nexecutor: steps\nsteps:\n  - click: { x: 3 }\n', /steps\[0\]\.click\.y: is required/],
    ['a placeholder for no input', 'name: hello\nexecutor: steps\nsteps:\n  - type_text: "{{input.nme}}"\n', /steps\[0\]\.type_text: \{\{input\.nme\}\} names no declared input/],
    ['an input type that does not exist', 'name: hello\nexecutor: external\ninputs:\n  n: { type: int }\n', /inputs\.n\.type: must be one of string, number/],
    ['a default of the wrong type', 'name: hello\nexecutor: external\ninputs:\n  n: { type: integer, default: "3" }\n', /inputs\.n\.default: must be a whole number, got string "3"/],
    ['a missing executor section', 'name: hello\nexecutor: command\n', /command: is required by the command executor/],
    ['a section of another executor', 'name: hello\nexecutor: external\nsteps:\n  - wait: 1\n', /steps: is only used by the steps executor, not external/],
    ['an empty command', 'name: hello\nexecutor: command\ncommand: { argv: [] }\n', /command\.argv: must name the program/],
    ['a bad release policy', 'name: hello\nexecutor: external\nrelease: keep\n', /release: must be save, reset or destroy/],
    ['a name that differs from the file', 'name: other\nexecutor: external\n', /name: is "other" but the file is named hello/],
    ['not a mapping', '- a\n- b\n', /\(root\): a workflow must be a mapping/],
  ])('rejects %s, naming the field', (_what, text, message) => {
    const e = errorOf(() => parse(text, text.startsWith('{') ? 'json' : 'yaml'));
    expect(e.code).toBe('WORKFLOW_INVALID');
    expect(e.message).toMatch(message);
    expect(e.details.issues).toBeInstanceOf(Array);
  });
});

describe('inputs', () => {
  const w = parse(`name: hello
executor: external
inputs:
  url: string
  count: { type: integer, default: 1 }
  mode: { type: string, enum: [fast, slow], optional: true }
  tags: { type: array, default: [] }
`);

  it('fills defaults and keeps given values', () => {
    expect(resolveInput(w, { url: 'u' })).toEqual({ url: 'u', count: 1, tags: [] });
    expect(resolveInput(w, { url: 'u', count: 3, mode: 'slow' })).toEqual({ url: 'u', count: 3, mode: 'slow', tags: [] });
  });

  it.each([
    [{}, /input\.url is required \(a string\)/],
    [{ url: 1 }, /input\.url must be a string, got number 1/],
    [{ url: 'u', count: 1.5 }, /input\.count must be a whole number/],
    [{ url: 'u', mode: 'medium' }, /input\.mode must be one of "fast", "slow"/],
    [{ url: 'u', extra: true }, /input\.extra is not an input of this workflow/],
    [[1, 2], /input must be a JSON object, got an array/],
  ])('rejects %j', (input, message) => {
    const e = errorOf(() => resolveInput(w, input));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(message);
  });
});

describe('substitution', () => {
  it('puts input values into text, objects as JSON and absent ones as nothing', () => {
    expect(substituteText('hi {{input.a}} {{ input.b }}!{{input.c}}', { a: 'x', b: { k: 1 } })).toBe('hi x {"k":1}!');
  });
  it('keeps the type of a value that is a whole placeholder', () => {
    expect(substituteValue({ n: '{{input.n}}', s: 'n={{input.n}}', list: ['{{input.n}}'] }, { n: 2 })).toEqual({ n: 2, s: 'n=2', list: [2] });
  });
  it('does not evaluate anything', () => {
    expect(substituteText('{{input.a}}', { a: '{{input.b}}' })).toBe('{{input.b}}');
    expect(substituteText('{{constructor}} {{input.__proto__}}', {})).toBe('{{constructor}} ');
  });
});

describe('workflow catalog', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds workflows by name, lists broken ones with their error, refuses unsafe names', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-wf-'));
    writeFileSync(path.join(dir, 'hello.yaml'), HELLO);
    writeFileSync(path.join(dir, 'ext.json'), JSON.stringify({ executor: 'external' }));
    writeFileSync(path.join(dir, 'bad.yml'), 'executor: nope\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    const catalog = new WorkflowCatalog(dir);
    expect((await catalog.get('ext')).name).toBe('ext');
    const all = await catalog.list();
    expect(all.map((w) => [w.name, w.valid])).toEqual([
      ['bad', false],
      ['ext', true],
      ['hello', true],
    ]);
    expect(all[0]?.error).toMatch(/executor: must be one of/);
    await expect(catalog.get('missing')).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    await expect(catalog.get('../hello')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    writeFileSync(path.join(dir, 'hello.json'), '{}');
    await expect(catalog.get('hello')).rejects.toMatchObject({ code: 'WORKFLOW_INVALID' });
  });

  it('one bad file (alias bomb, directory, link outside, bad JSON) shows up with its error and breaks nothing else', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-wf-'));
    const outside = mkdtempSync(path.join(os.tmpdir(), 'hvk-wf-outside-'));
    try {
      const secret = 'root:$6$very-secret-hash:19000:0:99999:7:::';
      writeFileSync(path.join(outside, 'shadow.yaml'), `${secret}\n`);
      writeFileSync(path.join(outside, 'shadow.json'), secret);
      writeFileSync(path.join(dir, 'hello.yaml'), HELLO);
      const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++) bomb.push(`${'bcdefghij'[i - 1]}: &${'bcdefghij'[i - 1]} [${Array(9).fill(`*${'abcdefghij'[i - 1]}`).join(', ')}]`);
      writeFileSync(path.join(dir, 'bomb.yaml'), `${bomb.join('\n')}\n`);
      mkdirSync(path.join(dir, 'folder.yaml'));
      symlinkSync(path.join(outside, 'shadow.yaml'), path.join(dir, 'shadow.yaml'));
      writeFileSync(path.join(dir, 'garbage.json'), secret);
      const catalog = new WorkflowCatalog(dir);
      const all = await catalog.list();
      expect(all.map((w) => [w.name, w.valid])).toEqual([
        ['bomb', false],
        ['folder', false],
        ['garbage', false],
        ['hello', true],
        ['shadow', false],
      ]);
      for (const w of all.filter((x) => !x.valid)) {
        expect(w.error).toMatch(/^workflow/);
        expect(w.error).not.toContain('very-secret');
        expect(w.error).not.toContain('19000');
      }
      expect(all.find((w) => w.name === 'bomb')?.error).toMatch(/aliases expand too much/);
      expect(all.find((w) => w.name === 'folder')?.error).toMatch(/not a regular file/);
      expect(all.find((w) => w.name === 'shadow')?.error).toMatch(/link to a file outside the workflows folder/);
      await expect(catalog.get('shadow')).rejects.toMatchObject({ code: 'WORKFLOW_INVALID' });
      await expect(catalog.get('folder')).rejects.toMatchObject({ code: 'WORKFLOW_INVALID' });
      await expect(catalog.get('bomb')).rejects.toMatchObject({ code: 'WORKFLOW_INVALID' });
      expect((await catalog.get('hello')).name).toBe('hello');
      // A link to a file inside the folder is an ordinary workflow.
      symlinkSync(path.join(dir, 'hello.yaml'), path.join(dir, 'alias.yaml'));
      await expect(catalog.get('alias')).rejects.toMatchObject({ message: expect.stringContaining('the file is named alias') as unknown });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
