/**
 * N PowerShell sessions for parallel work. Hyper-V runs operations on different VMs at once, but
 * one session runs one request at a time; a slow Save-VM should not hold up a screenshot.
 * Each request goes to the least-loaded session; sessions start when first needed.
 * @module
 */
import { PowerShellSession, type CallOptions, type ReadyInfo, type ScriptRunner, type SessionOptions } from './powershell-session.js';
import type { ScriptName, ScriptParams } from './script-names.js';

export class SessionPool implements ScriptRunner {
  readonly sessions: readonly PowerShellSession[];

  constructor(size: number, options: SessionOptions) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`session pool size must be a positive integer, got ${size}`);
    this.sessions = Array.from({ length: size }, () => new PowerShellSession(options));
  }

  call<S extends ScriptName>(script: S, params: ScriptParams[S], options?: CallOptions): Promise<unknown> {
    return this.pick().call(script, params, options);
  }

  /** Starts the first session (the others start on demand) and answers what it reported. */
  ready(): Promise<ReadyInfo> {
    return this.pick().ready();
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close()));
  }

  private pick(): PowerShellSession {
    // Prefer an idle session that is already running, then the least loaded one.
    let best: PowerShellSession | undefined;
    for (const s of this.sessions) {
      if (!best) {
        best = s;
        continue;
      }
      const better = s.load < best.load || (s.load === best.load && s.pid !== null && best.pid === null);
      if (better) best = s;
    }
    return best as PowerShellSession;
  }
}
