/**
 * The NOTIFY half of "a VM is ready": sent inside the transaction that made it ready, so
 * PostgreSQL delivers it on commit and never for a change that was rolled back. Several hvkube
 * installations (or test runs) may share one database in separate schemas, so the payload names
 * the schema and listeners ignore the others.
 * @module
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export const VM_READY_CHANNEL = 'hvkube_vm_ready';

export async function notifyVmReady(trx: Kysely<Database>, pool: string): Promise<void> {
  await sql`select pg_notify(${VM_READY_CHANNEL}, current_schema() || ' ' || ${pool})`.execute(trx);
}

/** The pool named by a payload of this schema, or null for another schema's notification. */
export function poolOfPayload(payload: string | undefined, schema: string): string | null {
  if (payload === undefined) return null;
  const space = payload.indexOf(' ');
  if (space < 0 || payload.slice(0, space) !== schema) return null;
  return payload.slice(space + 1);
}
