/**
 * The MCP tools on a real VM: `hvkube demo` provisions a QEMU pool (KVM or software emulation),
 * then the SDK client drives `hvkube mcp` over stdio: acquire, screenshot, type, release.
 * Skipped where QEMU is not installed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { QEMU_AVAILABLE, QEMU_MISSING_REASON } from '../hypervisor/qemu/qemu-test-helpers.js';
import { CLI_ENTRY, parseJson, ROOT, runCli } from '../../test/helpers/cli.js';
import { imageOf, structured } from './mcp-client.case.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-mcp-qemu-'));
const globalArgs = ['--backend', 'qemu', '--data-dir', dir];
// The demo image is built once per machine and shared with the other QEMU tests.
const env = {
  HVKUBE_DEMO_IMAGE_DIR:
    process.env.HVKUBE_DEMO_IMAGE_DIR ?? path.join(os.tmpdir(), 'hvkube-demo-image'),
};
const cli = (args: string[]): ReturnType<typeof runCli> =>
  runCli(args, { globalArgs, env, timeoutMs: 600_000 });

/** QEMU processes of this data directory still running (a failed test must not leave any). */
function qemusOfDir(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0]?.includes('qemu-system') === true && argv.some((a) => a.includes(dir));
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterAll(async () => {
  if (QEMU_AVAILABLE) await cli(['pool', 'remove', 'demo', '--force']);
  for (const pid of qemusOfDir()) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!QEMU_AVAILABLE)(
  `MCP on a real QEMU VM${QEMU_AVAILABLE ? '' : ` (skipped: ${QEMU_MISSING_REASON})`}`,
  () => {
    it(
      'acquires a desktop, screenshots it, types a command that shows on its screen, and releases it',
      { timeout: 600_000 },
      async () => {
        const demo = await cli(['demo']);
        expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);

        const loader = CLI_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : [];
        const transport = new StdioClientTransport({
          command: process.execPath,
          args: [...loader, CLI_ENTRY, ...globalArgs, 'mcp'],
          cwd: ROOT,
          env: { ...(process.env as Record<string, string>), ...env },
          stderr: 'pipe',
        });
        const client = new Client({ name: 'qemu-test', version: '1.0.0' });
        await client.connect(transport);
        try {
          const desk = structured<{ vm_name: string; resume_ms: number }>(
            await client.callTool({
              name: 'acquire_desktop',
              arguments: { pool: 'demo', timeout_s: 300 },
            }),
          );
          expect(desk.vm_name).toMatch(/^hvk-demo-/);
          const before = imageOf(
            await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } }),
          );
          expect(before.width).toBeGreaterThanOrEqual(640);

          expect(
            (
              await client.callTool({
                name: 'type_text',
                arguments: { vm: desk.vm_name, text: 'echo typed over mcp' },
              })
            ).isError,
          ).toBeFalsy();
          expect(
            (
              await client.callTool({
                name: 'press_keys',
                arguments: { vm: desk.vm_name, keys: ['enter'] },
              })
            ).isError,
          ).toBeFalsy();
          // The guest echoes the keys on its VGA console: the screen changes.
          await expect
            .poll(
              async () =>
                imageOf(
                  await client.callTool({ name: 'screenshot', arguments: { vm: desk.vm_name } }),
                ).data.equals(before.data),
              { timeout: 30_000, interval: 500 },
            )
            .toBe(false);
          const half = imageOf(
            await client.callTool({
              name: 'screenshot',
              arguments: { vm: desk.vm_name, scale: 0.5 },
            }),
          );
          expect(half.width).toBe(Math.round(before.width / 2));

          const released = await client.callTool({
            name: 'release_desktop',
            arguments: { vm: desk.vm_name, policy: 'reset' },
          });
          expect(released.isError).toBeFalsy();
        } finally {
          await client.close();
        }
        await expect
          .poll(
            async () =>
              parseJson<{ name: string; lease: unknown }[]>(
                await cli(['vm', 'list', '--json']),
              ).every((v) => v.lease === null),
            { timeout: 60_000, interval: 1000 },
          )
          .toBe(true);
      },
    );
  },
);
