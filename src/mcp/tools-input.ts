/**
 * MCP tools for the rest of the input vocabulary, computer-use style: mouse_button, key_state,
 * hold_keys, drag, screen_info, and `computer_actions`, which runs a list of actions in
 * Anthropic's, OpenAI's or hvkube's form and answers the screenshot after them. Each runs under
 * the caller's lease (`lease_id`, or the one the session holds), which the orchestrator checks.
 * @module
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { guarded, textResult } from './results.js';
import { ComputerActionsInput, DragInput, HoldKeysInput, KeyStateInput, MouseButtonInput, ScreenInfoInput } from './schemas.js';
import type { ToolDeps } from './tool-deps.js';

export function registerInputTools(server: McpServer, deps: ToolDeps): void {
  const { orch, session, logger } = deps;

  server.registerTool(
    'mouse_button',
    {
      title: 'Mouse button down or up',
      description: 'Presses a mouse button and keeps it down, or releases it, where the pointer is (or at x, y). For drags the drag tool cannot express.',
      inputSchema: MouseButtonInput,
    },
    ({ vm, lease_id, down, button, x, y }) =>
      guarded('mouse_button', logger, async () => {
        const how = { button: button ?? 'left', ...(x === undefined ? {} : { x }), ...(y === undefined ? {} : { y }) };
        await session.drive(vm, lease_id, (leaseId) => (down ? orch.mouseDown(vm, { ...how, leaseId }) : orch.mouseUp(vm, { ...how, leaseId })));
        return textResult(`${how.button} button ${down ? 'down' : 'up'} on ${vm}`);
      }),
  );

  server.registerTool(
    'key_state',
    {
      title: 'Keys down or up',
      description: 'Presses keys and keeps them down (e.g. shift while clicking), or releases them.',
      inputSchema: KeyStateInput,
    },
    ({ vm, lease_id, keys, down }) =>
      guarded('key_state', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) => (down ? orch.keyDown(vm, keys, { leaseId }) : orch.keyUp(vm, keys, { leaseId })));
        return textResult(`${keys.join('+')} ${down ? 'down' : 'up'} on ${vm}`);
      }),
  );

  server.registerTool(
    'hold_keys',
    {
      title: 'Hold keys',
      description: 'Holds a key chord down for a while, then releases it.',
      inputSchema: HoldKeysInput,
    },
    ({ vm, lease_id, chord, duration_ms }) =>
      guarded('hold_keys', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) => orch.holdKeys(vm, chord, duration_ms, { leaseId }));
        return textResult(`held ${chord} for ${duration_ms} ms on ${vm}`);
      }),
  );

  server.registerTool(
    'drag',
    {
      title: 'Drag',
      description: 'Drags with a mouse button held along a path of points, in small steps so the desktop sees a drag.',
      inputSchema: DragInput,
    },
    ({ vm, lease_id, path, button, steps }) =>
      guarded('drag', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) =>
          orch.drag(vm, path, { button: button ?? 'left', ...(steps === undefined ? {} : { steps }), leaseId }),
        );
        const last = path[path.length - 1];
        return textResult(`dragged from ${path[0]?.x},${path[0]?.y} to ${last?.x},${last?.y} on ${vm}`);
      }),
  );

  server.registerTool(
    'screen_info',
    {
      title: 'Screen size and pointer',
      description: 'The screen size in pixels and where the mouse pointer is.',
      inputSchema: ScreenInfoInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id }) =>
      guarded('screen_info', logger, async () => {
        const info = await session.drive(vm, lease_id, async (leaseId) => ({
          size: await orch.screenSize(vm, { leaseId }),
          cursor: await orch.cursorPosition(vm, { leaseId }),
        }));
        const at = info.cursor ? `${info.cursor.x},${info.cursor.y}` : 'not known yet';
        return textResult(`screen of ${vm}: ${info.size.width}x${info.size.height} pixels; pointer at ${at}`);
      }),
  );

  server.registerTool(
    'computer_actions',
    {
      title: 'Run computer-use actions',
      description:
        "Runs actions in order, exactly as Anthropic's computer tool (format anthropic) or OpenAI's computer use (format openai) emits them, " +
        'or in hvkube form. All are checked first; a bad one runs nothing. Answers the screenshot after the last action when it takes one.',
      inputSchema: ComputerActionsInput,
    },
    ({ vm, lease_id, format, actions, screenshot }) =>
      guarded('computer_actions', logger, async (): Promise<CallToolResult> => {
        const res = await session.drive(vm, lease_id, (leaseId) =>
          orch.actions(vm, { format, actions, ...(screenshot === undefined ? {} : { screenshot }) }, { leaseId }),
        );
        const lines = res.results.map((r) => {
          const extra = r.cursor !== undefined ? ` pointer ${r.cursor ? `${r.cursor.x},${r.cursor.y}` : 'not known'}` : r.image ? ` image ${r.image.width}x${r.image.height}` : '';
          return `${r.index}: ${r.action} ok${extra}`;
        });
        lines.push(`pointer: ${res.cursor ? `${res.cursor.x},${res.cursor.y}` : 'not known yet'}; display ${res.display.width}x${res.display.height}`);
        return {
          content: [
            ...(res.screenshot ? [{ type: 'image' as const, data: res.screenshot.data, mimeType: res.screenshot.media_type }] : []),
            { type: 'text' as const, text: lines.join('\n') },
          ],
        };
      }),
  );
}
