/**
 * The minimal logger shape the library needs; pino satisfies it. The library never picks a logger
 * itself: callers inject one, and the default writes nothing.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
