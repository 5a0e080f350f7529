/**
 * The `hvkube` command tree. Each command parses flags and calls the library; no business rule
 * lives here.
 * @module
 */
import { Command, Option } from '@commander-js/extra-typings';
import { demoCommand } from './commands/demo.js';
import { poolCommand } from './commands/pool.js';
import { reconcileCommand } from './commands/reconcile.js';
import { serveCommand } from './commands/serve.js';
import { templateCommand } from './commands/template.js';
import { vmCommand } from './commands/vm.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('hvkube')
    .description('pools of saved desktop VMs, handed out in about a second')
    .version(VERSION)
    .option('--data-dir <dir>', 'where hvkube keeps its state (default: $HVKUBE_DATA_DIR or ~/.hvkube)')
    .addOption(new Option('--backend <backend>', 'hypervisor backend (default: auto-detect)').choices(['auto', 'hyperv', 'qemu', 'fake']))
    .option('--json', 'machine-readable output')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions(false);
  program.addCommand(templateCommand());
  program.addCommand(poolCommand());
  program.addCommand(vmCommand());
  program.addCommand(reconcileCommand());
  program.addCommand(serveCommand());
  program.addCommand(demoCommand());
  return program;
}
