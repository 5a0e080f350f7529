#!/usr/bin/env node
/**
 * Entry point of the `hvkube` CLI: parse, run, and map every error once to a message and an exit
 * code (0 ok, 1 failure, 2 usage or invalid input).
 * @module
 */
import { CommanderError } from '@commander-js/extra-typings';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // addCommand() does not pass exitOverride down: apply it to every command, so usage errors
  // anywhere in the tree reach the handler below instead of exiting with commander's code.
  const override = (c: typeof program): void => {
    c.exitOverride();
    for (const sub of c.commands) override(sub as typeof program);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end here too, with code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, argv.includes('--json'));
  }
}

const code = await main(process.argv);
process.exitCode = code;
// Exit once output is flushed (pipes are asynchronous on Windows): a stray handle, such as a
// loader's message port or a socket a backend forgot, must not keep a finished command alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
