/**
 * Typed errors with stable codes. Every face maps these once: the CLI to an exit code, the API to
 * an HTTP status, MCP to a tool error. Messages say what happened; `hint` says what to do.
 * @module
 */

export const ERROR_CODES = {
  INVALID_NAME: 400,
  INVALID_PATH: 400,
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  /** The request's `Host` names neither this machine nor an allowed host (DNS rebinding). */
  FORBIDDEN_HOST: 403,
  /** The request comes from a web page of another site. */
  FORBIDDEN_ORIGIN: 403,
  /** A state-changing request without `Content-Type: application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A request body over the server's limit. */
  BODY_TOO_LARGE: 413,
  TEMPLATE_NOT_FOUND: 404,
  POOL_NOT_FOUND: 404,
  VM_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  HOST_NOT_FOUND: 404,
  /** An agent exists but has no artifact (screenshot) at that index. */
  ARTIFACT_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  TEMPLATE_EXISTS: 409,
  POOL_EXISTS: 409,
  TEMPLATE_IN_USE: 409,
  VM_INVALID_STATE: 409,
  VM_LEASED: 409,
  LEASE_MISMATCH: 409,
  /** A renew that would carry a lease past its pool's maximum lease duration. */
  LEASE_LIMIT: 409,
  AGENT_INVALID_STATE: 409,
  /** Another process already runs the agent scheduler of this data directory. */
  SCHEDULER_RUNNING: 409,
  WORKFLOW_INVALID: 400,
  NO_VM_AVAILABLE: 503,
  ACQUIRE_TIMEOUT: 503,
  HOST_CAPACITY: 503,
  /** This host of a fleet takes no work: it has not joined, or cannot renew its lease (`details.fenced`). */
  HOST_FENCED: 503,
  HV_NOT_FOUND: 502,
  HV_INVALID_STATE: 409,
  HV_SAVED_STATE_INCOMPATIBLE: 502,
  HV_TIMEOUT: 504,
  HV_UNAVAILABLE: 503,
  HV_ACCESS_DENIED: 502,
  HV_MODULE_MISSING: 502,
  HV_FAILED: 502,
  /** The guest channel (qemu-ga, PowerShell Direct) is missing or the guest does not answer on it. */
  GUEST_UNAVAILABLE: 503,
  /** A guest file or directory that does not exist. */
  GUEST_PATH_NOT_FOUND: 404,
  /** A copy beyond the size limit: refused whole rather than cut. */
  GUEST_FILE_TOO_LARGE: 413,
  /** A guest command that ran past its time-out. */
  GUEST_TIMEOUT: 504,
  /** Text with characters the backend cannot type faithfully (and no guest channel to paste them). */
  TEXT_NOT_TYPEABLE: 400,
  SHUTTING_DOWN: 503,
  /** The state store cannot be opened: a damaged SQLite file, a PostgreSQL server that refuses. */
  STORE_UNAVAILABLE: 503,
  /** systemctl, sc.exe or the service wrapper refused or failed. */
  SERVICE_MANAGER_FAILED: 502,
  /** An API route that does not exist. */
  NOT_FOUND: 404,
  /** The client could not reach an hvkube server. */
  SERVER_UNREACHABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HvkubeErrorOptions {
  /** What the user can do about it, appended to the message for humans. */
  hint?: string;
  /** Machine-readable context (names, states); never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class HvkubeError extends Error {
  override readonly name: string = 'HvkubeError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: HvkubeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** HTTP status that matches the code. */
  get status(): number {
    return ERROR_CODES[this.code];
  }

  /** The message plus the hint, as a person should read it. */
  describe(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.describe(),
      details: this.details,
    };
  }
}

/** Errors raised by a hypervisor backend. The orchestrator reacts to the code, never to text. */
export type HypervisorErrorCode = Extract<ErrorCode, `HV_${string}`>;

export class HypervisorError extends HvkubeError {
  override readonly name: string = 'HypervisorError';
  constructor(code: HypervisorErrorCode, message: string, options: HvkubeErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A bug: something that should never happen. Faces print its stack. */
export class InternalError extends HvkubeError {
  override readonly name: string = 'InternalError';
  constructor(message: string, options: HvkubeErrorOptions = {}) {
    super('INTERNAL', message, options);
  }
}

export function isHvkubeError(e: unknown, code?: ErrorCode): e is HvkubeError {
  return e instanceof HvkubeError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into an HvkubeError, keeping typed ones as they are. */
export function toHvkubeError(e: unknown): HvkubeError {
  if (e instanceof HvkubeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new InternalError(message, { cause: e });
}
