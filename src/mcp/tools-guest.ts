/**
 * MCP tools inside a desktop's guest, reached from the host with no network in the guest:
 * run_command, read_file, write_file, list_files, get_clipboard, set_clipboard. Offered only
 * where the backend has a guest channel; each runs under the caller's lease like the console tools.
 * @module
 */
import { TextDecoder } from 'node:util';
import type { McpServer } from '@modelcontextprotocol/server';
import { HvkubeError } from '../domain/errors.js';
import { guarded, textResult } from './results.js';
import { GetClipboardInput, ListFilesInput, ReadFileInput, RunCommandInput, SetClipboardInput, WriteFileInput } from './schemas.js';
import type { ToolDeps } from './tool-deps.js';

const MCP_DEFAULT_READ_BYTES = 1024 * 1024;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export function registerGuestTools(server: McpServer, deps: ToolDeps): void {
  const { orch, session, logger } = deps;
  if (!orch.hypervisor.guest) return;

  server.registerTool(
    'run_command',
    {
      title: 'Run a command in the desktop',
      description:
        "Runs a program inside an acquired desktop's operating system (from the host, no network needed) and answers its exit code, stdout and stderr.",
      inputSchema: RunCommandInput,
    },
    ({ vm, lease_id, argv, shell, cwd, env, stdin, timeout_ms }) =>
      guarded('run_command', logger, async () => {
        const r = await session.drive(vm, lease_id, (leaseId) =>
          orch.exec(
            vm,
            {
              argv,
              ...(shell === undefined ? {} : { shell }),
              ...(cwd === undefined ? {} : { cwd }),
              ...(env === undefined ? {} : { env }),
              ...(stdin === undefined ? {} : { stdin: Buffer.from(stdin, 'utf8') }),
              ...(timeout_ms === undefined ? {} : { timeoutMs: timeout_ms }),
            },
            { leaseId },
          ),
        );
        const status = r.timedOut ? `timed out after ${r.durationMs} ms` : `exit code ${r.exitCode ?? 'unknown'}`;
        const parts = [`${status}${r.truncated ? ' (output cut by the guest)' : ''}`];
        parts.push(`stdout:\n${r.stdout.toString('utf8')}`);
        if (r.stderr.length > 0) parts.push(`stderr:\n${r.stderr.toString('utf8')}`);
        return { ...textResult(parts.join('\n')), isError: r.timedOut || (r.exitCode ?? 1) !== 0 };
      }),
  );

  server.registerTool(
    'read_file',
    {
      title: 'Read a file in the desktop',
      description: "Reads a file inside an acquired desktop's guest: its text, or Base64 when it is not UTF-8 text. A file over max_bytes is refused whole.",
      inputSchema: ReadFileInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id, path, max_bytes }) =>
      guarded('read_file', logger, async () => {
        const data = await session.drive(vm, lease_id, (leaseId) => orch.readGuestFile(vm, path, { maxBytes: max_bytes ?? MCP_DEFAULT_READ_BYTES, leaseId }));
        const text = asText(data);
        return text !== null ? textResult(text) : textResult(`(${data.length} bytes, not UTF-8 text; Base64 follows)\n${data.toString('base64')}`);
      }),
  );

  server.registerTool(
    'write_file',
    {
      title: 'Write a file in the desktop',
      description: "Writes (replaces) a file inside an acquired desktop's guest, from text or Base64. The folder must exist.",
      inputSchema: WriteFileInput,
    },
    ({ vm, lease_id, path, text, base64 }) =>
      guarded('write_file', logger, async () => {
        if ((text === undefined) === (base64 === undefined)) throw new HvkubeError('INVALID_INPUT', 'give the content as exactly one of text or base64');
        const data = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(base64 ?? '', 'base64');
        await session.drive(vm, lease_id, (leaseId) => orch.writeGuestFile(vm, path, data, { leaseId }));
        return textResult(`wrote ${data.length} bytes to ${path} on ${vm}`);
      }),
  );

  server.registerTool(
    'list_files',
    {
      title: 'List files in the desktop',
      description: "Lists a folder inside an acquired desktop's guest: one line per entry with its type, size and time.",
      inputSchema: ListFilesInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id, path }) =>
      guarded('list_files', logger, async () => {
        const entries = await session.drive(vm, lease_id, (leaseId) => orch.listGuestFiles(vm, path, { leaseId }));
        const lines = entries.map((e) => `${e.type === 'dir' ? 'd' : e.type === 'link' ? 'l' : e.type === 'file' ? '-' : '?'} ${String(e.size).padStart(10)} ${e.modified ?? '-'} ${e.name}`);
        return textResult(lines.length > 0 ? lines.join('\n') : `${path} is empty`);
      }),
  );

  server.registerTool(
    'get_clipboard',
    {
      title: "Read the desktop's clipboard",
      description: "Answers the text on an acquired desktop's clipboard.",
      inputSchema: GetClipboardInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id }) => guarded('get_clipboard', logger, async () => textResult(await session.drive(vm, lease_id, (leaseId) => orch.getClipboard(vm, { leaseId })))),
  );

  server.registerTool(
    'set_clipboard',
    {
      title: "Set the desktop's clipboard",
      description: "Puts text on an acquired desktop's clipboard (paste it with press_keys ctrl+v).",
      inputSchema: SetClipboardInput,
    },
    ({ vm, lease_id, text }) =>
      guarded('set_clipboard', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) => orch.setClipboard(vm, text, { leaseId }));
        return textResult(`set the clipboard of ${vm} (${text.length} characters)`);
      }),
  );
}
