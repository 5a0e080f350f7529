/**
 * The desktops acquired over MCP by one server (the HTTP endpoint, or one `hvkube mcp` process),
 * by lease id, with the sessions that drive each. Ownership follows the lease, not the session:
 * many clients open a new session per call and never end it, so any session that presents the
 * lease id may drive the desktop, and the desktop goes back to its pool when the last session
 * driving it ends (or when its lease runs out unused).
 * @module
 */
export class McpLeases {
  readonly #sessions = new Map<string, Set<object>>();

  /** A desktop was just acquired over MCP by `session`. */
  acquired(leaseId: string, session: object): void {
    this.#sessions.set(leaseId, new Set([session]));
  }

  /** Whether the lease was acquired over MCP here (and is neither released nor abandoned). */
  has(leaseId: string): boolean {
    return this.#sessions.has(leaseId);
  }

  /** Another session presented the lease id and now drives the desktop too. */
  join(leaseId: string, session: object): void {
    this.#sessions.get(leaseId)?.add(session);
  }

  /** `session` ends; true when it was the last one driving the desktop (so release it). */
  leave(leaseId: string, session: object): boolean {
    const sessions = this.#sessions.get(leaseId);
    if (!sessions?.delete(session) || sessions.size > 0) return false;
    this.#sessions.delete(leaseId);
    return true;
  }

  /** The lease ended (released, expired, taken over): no session releases it again. */
  forget(leaseId: string): void {
    this.#sessions.delete(leaseId);
  }
}
