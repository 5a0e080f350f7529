import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The full path of an executable found on PATH (or the path itself if it has a directory part). */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  const candidates = command.includes('/') || command.includes('\\') ? [command] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, command));
  for (const base of candidates) {
    for (const ext of exts) {
      const file = base + ext;
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}
