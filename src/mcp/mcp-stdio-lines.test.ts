import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../../test/helpers/harness.js';
import { runMcpStdio } from './stdio.js';

interface RpcAnswer {
  jsonrpc: string;
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string };
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

/** Feeds these lines to `hvkube mcp`'s loop and collects every line it answers, until `count`. */
async function exchange(lines: string[], count: number): Promise<RpcAnswer[]> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const answers: RpcAnswer[] = [];
  let buffered = '';
  const enough = new Promise<void>((resolve) => {
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) answers.push(JSON.parse(p) as RpcAnswer);
      if (answers.length >= count) resolve();
    });
  });
  const served = runMcpStdio({ orchestrator: h.orch, stdin, stdout });
  for (const line of lines) stdin.write(`${line}\n`);
  await enough;
  stdin.end();
  await served;
  return answers;
}

const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

describe('MCP over stdio: lines that are not messages', () => {
  it('answers unparseable lines with -32700, non-messages and deep nesting with -32600, and keeps serving', async () => {
    const deep = `{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const answers = await exchange(['this is not json', '{"jsonrpc": "2.0", "id": 2,', '42', '{"id": 3}', deep, `${initialize}\r`], 6);
    const errors = answers.filter((a) => a.error);
    expect(errors.map((a) => [a.error?.code, a.id])).toEqual([
      [-32700, null],
      [-32700, null],
      [-32600, null],
      [-32600, 3],
      [-32600, null],
    ]);
    expect(errors[0]?.error?.message).toMatch(/^Parse error/);
    expect(answers.find((a) => a.id === 1)?.result).toHaveProperty('serverInfo');
  });
});
