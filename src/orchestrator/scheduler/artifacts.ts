/**
 * What an agent leaves behind, under `<data dir>/artifacts/<agent id>/`: `log.jsonl` (one JSON
 * object per line: time, level, message) and screenshots `001.png`, `002.png`, ... Paths in
 * results are relative to the data directory, so they stay valid if the directory moves.
 * @module
 */
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateAgentId } from './agent-ids.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface AgentLogLine {
  at: string;
  level: LogLevel;
  message: string;
  details?: Record<string, unknown>;
}

const LOG_FILE = 'log.jsonl';
const SCREENSHOT = /^(\d{3,})\.png$/;

export class AgentArtifacts {
  /** Writes of one agent's log, chained so lines land in the order they were logged. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(readonly dataDir: string) {}

  dirOf(id: string): string {
    return path.join(this.dataDir, 'artifacts', validateAgentId(id));
  }

  /** An artifact path as results list it, made absolute. */
  resolve(relative: string): string {
    return path.join(this.dataDir, relative);
  }

  append(id: string, line: AgentLogLine): Promise<void> {
    const dir = this.dirOf(id);
    const previous = this.#writes.get(id) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        await mkdir(dir, { recursive: true });
        await appendFile(path.join(dir, LOG_FILE), `${JSON.stringify(line)}\n`);
      })
      .catch(() => undefined);
    this.#writes.set(id, next);
    void next.then(() => {
      if (this.#writes.get(id) === next) this.#writes.delete(id);
    });
    return next;
  }

  /** Resolves once every line logged so far is on disk. */
  async flush(id: string): Promise<void> {
    await this.#writes.get(id);
  }

  async readLog(id: string): Promise<AgentLogLine[]> {
    await this.flush(id);
    let text: string;
    try {
      text = await readFile(path.join(this.dirOf(id), LOG_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const lines: AgentLogLine[] = [];
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        lines.push(JSON.parse(raw) as AgentLogLine);
      } catch {
        // A line cut short by a crash: skip it rather than lose the rest of the log.
      }
    }
    return lines;
  }

  async #numbers(id: string): Promise<number[]> {
    try {
      return (await readdir(this.dirOf(id)))
        .map((f) => SCREENSHOT.exec(f)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Saves a PNG as the agent's next numbered screenshot; answers its relative path. */
  async saveScreenshot(id: string, png: Buffer): Promise<string> {
    const dir = this.dirOf(id);
    await mkdir(dir, { recursive: true });
    for (;;) {
      const next = ((await this.#numbers(id)).at(-1) ?? 0) + 1;
      const file = `${String(next).padStart(3, '0')}.png`;
      try {
        // `wx`: two writers (a retry, another process) never overwrite each other's picture.
        await writeFile(path.join(dir, file), png, { flag: 'wx' });
        return path.join('artifacts', id, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  async listScreenshots(id: string): Promise<string[]> {
    return (await this.#numbers(id)).map((n) => path.join('artifacts', id, `${String(n).padStart(3, '0')}.png`));
  }
}
