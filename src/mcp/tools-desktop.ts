/**
 * MCP tools over pools and leases: list_pools, list_vms, acquire_desktop, release_desktop.
 * @module
 */
import type { McpServer } from '@modelcontextprotocol/server';
import type { Vm } from '../domain/types.js';
import type { PoolStatus } from '../orchestrator/orchestrator.js';
import { guarded, jsonResult } from './results.js';
import { AcquireInput, AcquireOutput, ListVmsInput, ReleaseInput } from './schemas.js';
import type { ToolDeps } from './tool-deps.js';

const DEFAULT_TIMEOUT_S = 30;

function poolSummary(p: PoolStatus): Record<string, unknown> {
  return {
    name: p.pool.name,
    template: p.pool.template,
    desired: p.pool.desired,
    warm: p.pool.warm,
    ready: p.ready,
    in_use: p.inUse,
    total: p.total,
    states: p.counts,
    release_policy: p.pool.releasePolicy,
    degraded: p.health.degraded,
  };
}

function vmSummary(v: Vm, yours: boolean): Record<string, unknown> {
  return {
    name: v.name,
    pool: v.pool,
    state: v.state,
    held_by: v.lease?.holder ?? null,
    yours,
    ip_address: v.ip,
    last_resume_ms: v.lastResumeMs,
  };
}

export function registerDesktopTools(server: McpServer, { orch, session, logger }: ToolDeps): void {
  server.registerTool(
    'list_pools',
    {
      title: 'List desktop pools',
      description:
        'Lists the pools of desktop VMs: how many exist, how many are ready to hand out now, how many are in use.',
      annotations: { readOnlyHint: true },
    },
    () =>
      guarded('list_pools', logger, async () =>
        jsonResult({ pools: (await orch.listPools()).map(poolSummary) }),
      ),
  );

  server.registerTool(
    'list_vms',
    {
      title: 'List VMs',
      description:
        'Lists desktop VMs with their state and holder; `yours` marks the ones this session acquired and may drive.',
      inputSchema: ListVmsInput,
      annotations: { readOnlyHint: true },
    },
    ({ pool }) =>
      guarded('list_vms', logger, async () => {
        const vms = await orch.listVms(pool ? { pool } : {});
        return jsonResult({ vms: vms.map((v) => vmSummary(v, session.owns(v.name))) });
      }),
  );

  server.registerTool(
    'acquire_desktop',
    {
      title: 'Acquire a desktop',
      description:
        'Takes a ready desktop VM from a pool (resumed from its saved state in about a second) and leases it to the caller. ' +
        'Answers vm_name (pass it to screenshot, type_text, press_keys, click, release_desktop), lease_id, the guest IP address and the in-guest MCP endpoint if the image has one. ' +
        'This session drives the desktop as is; another session (or a client that opens one per call) drives it by passing lease_id. ' +
        'The lease is renewed as the desktop is used and ends when unused for its length. Release it with release_desktop when done.',
      inputSchema: AcquireInput,
      outputSchema: AcquireOutput,
    },
    ({ pool, timeout_s, display_width, display_height }) =>
      guarded('acquire_desktop', logger, async () => {
        const r = await orch.acquire({
          pool,
          holder: session.holder,
          timeoutMs: (timeout_s ?? DEFAULT_TIMEOUT_S) * 1000,
          leaseTtlMs: session.leaseTtlMs,
          display: display_width !== undefined && display_height !== undefined ? { width: display_width, height: display_height } : null,
        });
        session.adopt(r);
        return jsonResult({
          vm_name: r.vm.name,
          lease_id: r.leaseId,
          lease_expires_at: r.vm.lease?.expiresAt ?? null,
          ip_address: r.vm.ip,
          mcp_endpoint: r.vm.mcpEndpoint,
          resume_ms: r.resumeMs,
        });
      }),
  );

  server.registerTool(
    'release_desktop',
    {
      title: 'Release a desktop',
      description:
        'Gives an acquired desktop back to its pool (pass lease_id when it was acquired in another session). Nobody can drive it under that lease afterwards.',
      inputSchema: ReleaseInput,
      annotations: { destructiveHint: true },
    },
    ({ vm, lease_id, policy }) =>
      guarded('release_desktop', logger, async () => {
        const r = await session.release(vm, lease_id, policy);
        return jsonResult({ vm_name: vm, policy: r.policy, state: r.vm.state });
      }),
  );
}
