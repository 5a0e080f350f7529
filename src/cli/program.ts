/**
 * The `hvkube` command tree. Each command parses flags and calls the library; no business rule
 * lives here.
 * @module
 */
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { agentCommand } from './commands/agent.js';
import { applyCommand, diffCommand, exportCommand } from './commands/apply.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { hostCommand } from './commands/host.js';
import { mcpCommand } from './commands/mcp.js';
import { poolCommand } from './commands/pool.js';
import { reconcileCommand } from './commands/reconcile.js';
import { serveCommand } from './commands/serve.js';
import { serviceCommand } from './commands/service.js';
import { templateCommand } from './commands/template.js';
import { vmCommand } from './commands/vm.js';
import { webhookCommand } from './commands/webhook.js';
import { workflowCommand } from './commands/workflow.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('hvkube')
    .description('pools of saved desktop VMs, handed out in about a second')
    // Not .version(): its output comes before a later --json is parsed (see the listener below).
    .option('-V, --version', 'output the version number')
    .option('--data-dir <dir>', 'where hvkube keeps its state (default: $HVKUBE_DATA_DIR or ~/.hvkube)')
    .addOption(new Option('--backend <backend>', 'hypervisor backend (default: auto-detect)').choices(['auto', 'hyperv', 'qemu', 'fake']))
    .option('--json', 'machine-readable output')
    .option('--server <url>', 'run the command on a running `hvkube serve` (default: $HVKUBE_SERVER)')
    .option('--token <token>', 'API token for --server (default: $HVKUBE_API_TOKEN, which stays out of `ps`)')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions(false);
  // `--json --version` (either order) prints JSON; the parse ends as with commander's .version().
  program.on('option:version', () => {
    const asJson = (program as unknown as { rawArgs: string[] }).rawArgs.includes('--json');
    process.stdout.write(asJson ? `${JSON.stringify({ version: VERSION })}\n` : `${VERSION}\n`);
    throw new CommanderError(0, 'commander.version', VERSION);
  });
  program.addCommand(templateCommand());
  program.addCommand(poolCommand());
  program.addCommand(vmCommand());
  program.addCommand(agentCommand());
  program.addCommand(workflowCommand());
  program.addCommand(hostCommand());
  program.addCommand(applyCommand());
  program.addCommand(diffCommand());
  program.addCommand(exportCommand());
  program.addCommand(webhookCommand());
  program.addCommand(serviceCommand());
  program.addCommand(reconcileCommand());
  program.addCommand(serveCommand());
  program.addCommand(demoCommand());
  program.addCommand(doctorCommand());
  program.addCommand(mcpCommand());
  return program;
}
