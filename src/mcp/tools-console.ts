/**
 * MCP tools over a VM's screen, keyboard and mouse: screenshot, type_text, press_keys, click,
 * move_mouse, and scroll where the backend supports it. Each checks that the session may drive
 * the VM first.
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
): Promise<CallToolResult> {
  let native = session.screenWidth(vm);
  let png: Buffer;
  if (scale < 1 && native !== undefined) {
    png = await orch.screenshot(vm, { width: Math.max(16, Math.round(native * scale)) });
  } else {
    png = await orch.screenshot(vm);
    native = pngSize(png).width;
    session.rememberScreenWidth(vm, native);
    if (scale < 1)
      png = await orch.screenshot(vm, { width: Math.max(16, Math.round(native * scale)) });
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
    ({ vm, scale }) =>
      guarded('screenshot', logger, async () => {
        await session.requireDrivable(vm);
        return capture(deps, vm, scale ?? 1);
      }),
  );

  server.registerTool(
    'type_text',
    {
      title: 'Type text',
      description:
        'Types text on an acquired desktop, as if on its keyboard, into whatever has the focus.',
      inputSchema: TypeTextInput,
    },
    ({ vm, text }) =>
      guarded('type_text', logger, async () => {
        await session.requireDrivable(vm);
        await orch.typeText(vm, text);
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
    ({ vm, keys }) =>
      guarded('press_keys', logger, async () => {
        await session.requireDrivable(vm);
        const chords = chordList(keys);
        await orch.pressKeys(vm, chords);
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
    ({ vm, x, y, button, double }) =>
      guarded('click', logger, async () => {
        await session.requireDrivable(vm);
        await orch.click(vm, x, y, { button: button ?? 'left', double: double ?? false });
        return textResult(
          `${double ? 'double-' : ''}clicked ${button ?? 'left'} at ${x},${y} on ${vm}`,
        );
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
    ({ vm, x, y }) =>
      guarded('move_mouse', logger, async () => {
        await session.requireDrivable(vm);
        await orch.mouseMove(vm, x, y);
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
      ({ vm, delta }) =>
        guarded('scroll', logger, async () => {
          await session.requireDrivable(vm);
          await orch.scroll(vm, delta);
          return textResult(`scrolled ${delta} on ${vm}`);
        }),
    );
  }
}
