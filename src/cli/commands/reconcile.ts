import { Command } from '@commander-js/extra-typings';
import { json } from '../output.js';
import { withOps } from '../runtime-scope.js';

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('make the store agree with the hypervisor (also runs when `hvkube serve` starts)')
    .option('--remove-orphans', 'remove VMs with our prefix that the store does not know')
    .action(async (o, command) => {
      await withOps(command, async ({ ops, out, json: asJson }) => {
        const r = await ops.reconcile({ removeOrphans: o.removeOrphans === true });
        if (asJson) return json(out, r);
        const list = (xs: string[]): string => (xs.length ? xs.join(', ') : 'none');
        out.write(`fixed: ${list(r.fixed)}\nrepaired: ${list(r.repaired)}\nmissing on host: ${list(r.missing)}\norphans on host: ${list(r.orphans)}\n`);
        if (r.busy.length) out.write(`left alone (a running hvkube is working on them): ${list(r.busy)}\n`);
        if (r.removed.length) out.write(`removed orphans: ${list(r.removed)}\n`);
        else if (r.orphans.length) out.write('remove orphans with: hvkube reconcile --remove-orphans\n');
      });
    });
}
