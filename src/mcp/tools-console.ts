/**
 * MCP tools over a VM's screen, keyboard and mouse: screenshot, type_text, press_keys, click,
 * move_mouse, and scroll where the backend supports it. Each runs under the caller's lease
 * (`lease_id`, or the one the session holds), which the orchestrator checks.
 * @module
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { guarded, textResult } from './results.js';
import { pngSize } from './png-size.js';
import {
  chordList,
  ClickInput,
  MoveMouseInput,
  PressKeysInput,
  ScreenshotInput,
  ScrollInput,
  TypeTextInput,
} from './schemas.js';
import type { ToolDeps } from './tool-deps.js';

async function capture(
  { orch, session }: ToolDeps,
  vm: string,
  scale: number,
  leaseId: string | undefined,
): Promise<CallToolResult> {
  let native = session.screenWidth(vm);
  let png: Buffer;
  const scaled = (width: number): Promise<Buffer> =>
    orch.screenshot(vm, { width: Math.max(16, Math.round(width * scale)), leaseId });
  if (scale < 1 && native !== undefined) {
    png = await scaled(native);
  } else {
    png = await orch.screenshot(vm, { leaseId });
    native = pngSize(png).width;
    session.rememberScreenWidth(vm, native);
    if (scale < 1) png = await scaled(native);
  }
  const shown = pngSize(png);
  const factor = native / shown.width;
  const note =
    Math.abs(factor - 1) < 0.01
      ? `screen of ${vm}: ${shown.width}x${shown.height} pixels; click coordinates are these pixels`
      : `screen of ${vm}: shown at ${shown.width}x${shown.height}, full size ${native} wide; multiply coordinates by ${factor.toFixed(3)} for click`;
  return {
    content: [
      { type: 'image', data: png.toString('base64'), mimeType: 'image/png' },
      { type: 'text', text: note },
    ],
  };
}

export function registerConsoleTools(server: McpServer, deps: ToolDeps): void {
  const { orch, session, logger } = deps;

  server.registerTool(
    'screenshot',
    {
      title: 'Screenshot',
      description: "Captures an acquired desktop's screen as a PNG image.",
      inputSchema: ScreenshotInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id, scale }) =>
      guarded('screenshot', logger, () =>
        session.drive(vm, lease_id, (leaseId) => capture(deps, vm, scale ?? 1, leaseId)),
      ),
  );

  server.registerTool(
    'type_text',
    {
      title: 'Type text',
      description:
        'Types text on an acquired desktop, as if on its keyboard, into whatever has the focus.',
      inputSchema: TypeTextInput,
    },
    ({ vm, lease_id, text }) =>
      guarded('type_text', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) => orch.typeText(vm, text, { leaseId }));
        return textResult(`typed ${text.length} character(s) on ${vm}`);
      }),
  );

  server.registerTool(
    'press_keys',
    {
      title: 'Press keys',
      description: 'Presses key chords on an acquired desktop, in order (e.g. ctrl+l, then enter).',
      inputSchema: PressKeysInput,
    },
    ({ vm, lease_id, keys }) =>
      guarded('press_keys', logger, async () => {
        const chords = chordList(keys);
        await session.drive(vm, lease_id, (leaseId) => orch.pressKeys(vm, chords, { leaseId }));
        return textResult(`pressed ${chords.join(', ')} on ${vm}`);
      }),
  );

  server.registerTool(
    'click',
    {
      title: 'Click',
      description:
        'Clicks the mouse at a point of an acquired desktop, in full-size screen pixels.',
      inputSchema: ClickInput,
    },
    ({ vm, lease_id, x, y, button, double, count }) =>
      guarded('click', logger, async () => {
        const clicks = (count ?? (double ? 2 : 1)) as 1 | 2 | 3;
        await session.drive(vm, lease_id, (leaseId) =>
          orch.click(vm, x, y, { button: button ?? 'left', count: clicks, leaseId }),
        );
        const how = clicks === 3 ? 'triple-' : clicks === 2 ? 'double-' : '';
        return textResult(`${how}clicked ${button ?? 'left'} at ${x},${y} on ${vm}`);
      }),
  );

  server.registerTool(
    'move_mouse',
    {
      title: 'Move the mouse',
      description:
        'Moves the mouse pointer of an acquired desktop (hover), in full-size screen pixels.',
      inputSchema: MoveMouseInput,
    },
    ({ vm, lease_id, x, y }) =>
      guarded('move_mouse', logger, async () => {
        await session.drive(vm, lease_id, (leaseId) => orch.mouseMove(vm, x, y, { leaseId }));
        return textResult(`moved the pointer to ${x},${y} on ${vm}`);
      }),
  );

  // Offered only where the backend can do it, so a client never sees a tool that always fails.
  if (orch.hypervisor.capabilities.scroll) {
    server.registerTool(
      'scroll',
      {
        title: 'Scroll',
        description: 'Turns the mouse wheel of an acquired desktop where the pointer is.',
        inputSchema: ScrollInput,
      },
      ({ vm, lease_id, delta }) =>
        guarded('scroll', logger, async () => {
          await session.drive(vm, lease_id, (leaseId) => orch.scroll(vm, delta, { leaseId }));
          return textResult(`scrolled ${delta} on ${vm}`);
        }),
    );
  }
}
