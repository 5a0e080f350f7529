/**
 * The snake_case answers of acquire and release, as plain types and converters. Shared by the
 * API routes, the HTTP client and the CLI's local adapter, so the answer is the same whether a
 * command runs in-process or against a server. No HTTP code here.
 * @module
 */
import type { ReleasePolicy } from '../domain/types.js';
import type { VmState } from '../domain/vm-state.js';
import type { AcquireResult } from '../orchestrator/acquire.js';

export interface AcquireAnswer {
  vm_name: string;
  ip_address: string | null;
  rdp_port: number | null;
  /** URL of the in-guest MCP automation server, when the template has one. */
  mcp_endpoint: string | null;
  lease_id: string;
  /** The lease ends then unless renewed; null for no expiry. */
  lease_expires_at: string | null;
  resume_ms: number;
  wait_ms: number;
  /** Handed out from the hot tier (paused in memory). */
  hot: boolean;
  /** The display size the lease declared (screenshots scaled to it, coordinates mapped from it); null: the real screen. */
  display: { width: number; height: number } | null;
}

export interface ReleaseAnswer {
  vm_name: string;
  policy: ReleasePolicy;
  /** The VM's state when answered: `saving`/`resetting`/`deleting` at once, `saved` (or `removed`) when waited for. */
  state: VmState | 'removed';
}

export function toAcquireAnswer(r: AcquireResult): AcquireAnswer {
  return {
    vm_name: r.vm.name,
    ip_address: r.vm.ip,
    rdp_port: r.vm.rdpPort,
    mcp_endpoint: r.vm.mcpEndpoint,
    lease_id: r.leaseId,
    lease_expires_at: r.vm.lease?.expiresAt ?? null,
    resume_ms: r.resumeMs,
    wait_ms: r.waitMs,
    hot: r.fromHot,
    display: r.vm.lease?.display ?? null,
  };
}

/** Default wait of an acquire that names none (seconds). */
export const DEFAULT_ACQUIRE_TIMEOUT_S = 30;
/** Default lease of an API acquire (seconds). */
export const DEFAULT_LEASE_TTL_S = 600;
