/**
 * MCP tools over a VM's screen, keyboard and mouse: screenshot, type_text, press_keys, click,
 * move_mouse, and scroll where the backend supports it. Each runs under the caller's lease
 * (`lease_id`, or the one the session holds), which the orchestrator checks.
 * @module
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import { guarded, textResult } from './results.js';
import type { ImageFormat, ScreenRegion, ScreenshotOptions } from '../hypervisor/hypervisor.js';
import { checkScreenshotOptions, imageSize, mediaTypeOf } from '../hypervisor/console/encode.js';
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

interface CaptureInput {
  scale: number;
  format?: ImageFormat;
  quality?: number;
  region?: ScreenRegion;
  zoom?: ScreenRegion;
  cursor?: boolean;
}

async function capture(
  { orch, session }: ToolDeps,
  vm: string,
  input: CaptureInput,
  leaseId: string | undefined,
): Promise<CallToolResult> {
  const { scale, region, zoom } = input;
  const shape: ScreenshotOptions = {
    ...(input.format === undefined ? {} : { format: input.format }),
    ...(input.quality === undefined ? {} : { quality: input.quality }),
    ...(region === undefined ? {} : { region }),
    ...(zoom === undefined ? {} : { zoom }),
    ...(input.cursor ? { cursor: true } : {}),
  };
  checkScreenshotOptions(shape);
  // Scaling needs the native width: remembered per VM, else learnt from one full-size capture.
  let native = session.screenWidth(vm);
  let image: Buffer | null = null;
  if (native === undefined) {
    const full = await orch.screenshot(vm, { leaseId });
    native = (await imageSize(full)).width;
    session.rememberScreenWidth(vm, native);
    if (scale === 1 && region === undefined && zoom === undefined && input.format === undefined && !input.cursor) image = full;
  }
  if (image === null) {
    const base = region ? region.width : native;
    const width = scale < 1 ? Math.max(16, Math.round(base * scale)) : undefined;
    image = await orch.screenshot(vm, { ...shape, ...(width === undefined ? {} : { width }), leaseId });
  }
  const shown = await imageSize(image);
  const crop = region ?? zoom;
  let note: string;
  if (crop) {
    const fx = crop.width / shown.width;
    const fy = crop.height / shown.height;
    note = `part of the screen of ${vm}: x ${crop.x}-${crop.x + crop.width}, y ${crop.y}-${crop.y + crop.height}, shown at ${shown.width}x${shown.height}; a point (px, py) of this image is screen pixel (${crop.x} + px*${fx.toFixed(3)}, ${crop.y} + py*${fy.toFixed(3)}) for click`;
  } else {
    const factor = native / shown.width;
    note =
      Math.abs(factor - 1) < 0.01
        ? `screen of ${vm}: ${shown.width}x${shown.height} pixels; click coordinates are these pixels`
        : `screen of ${vm}: shown at ${shown.width}x${shown.height}, full size ${native} wide; multiply coordinates by ${factor.toFixed(3)} for click`;
  }
  return {
    content: [
      { type: 'image', data: image.toString('base64'), mimeType: mediaTypeOf(input.format) },
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
      description:
        "Captures an acquired desktop's screen: PNG, JPEG or WebP, optionally shrunk, cut to a region, zoomed into a region, or with the mouse pointer drawn in.",
      inputSchema: ScreenshotInput,
      annotations: { readOnlyHint: true },
    },
    ({ vm, lease_id, scale, format, quality, region, zoom, cursor }) =>
      guarded('screenshot', logger, () =>
        session.drive(vm, lease_id, (leaseId) =>
          capture(deps, vm, { scale: scale ?? 1, format, quality, region, zoom, cursor }, leaseId),
        ),
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
