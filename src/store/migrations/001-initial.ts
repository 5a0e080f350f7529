/**
 * The first schema. Dialect-neutral except the events id, which must grow by itself: SQLite's
 * `integer primary key autoincrement` and PostgreSQL's `bigserial` have no common spelling.
 * @module
 */
import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store.js';
import type { Database } from '../schema.js';

export async function up(db: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  const schema = db.schema;

  await schema
    .createTable('templates')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('disk_path', 'text', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('cpus', 'integer', (c) => c.notNull())
    .addColumn('gpu', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('software', 'text', (c) => c.notNull())
    .addColumn('probes', 'text', (c) => c.notNull())
    .addColumn('credentials_ref', 'text')
    .addColumn('mcp', 'text')
    .addColumn('rdp_port', 'integer', (c) => c.notNull())
    .addColumn('boot', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await schema
    .createTable('pools')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    // RESTRICT: a template outlives its pools; the store checks first to give a clear error.
    .addColumn('template', 'text', (c) =>
      c.notNull().references('templates.name').onDelete('restrict'),
    )
    .addColumn('desired', 'integer', (c) => c.notNull())
    .addColumn('warm', 'integer', (c) => c.notNull())
    .addColumn('hot', 'integer', (c) => c.notNull())
    .addColumn('max_per_host', 'integer')
    .addColumn('release_policy', 'text', (c) => c.notNull())
    .addColumn('max_running', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await schema
    .createTable('vms')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('pool', 'text', (c) => c.notNull().references('pools.name').onDelete('restrict'))
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_since', 'text', (c) => c.notNull())
    .addColumn('previous_state', 'text')
    .addColumn('previous_state_since', 'text')
    .addColumn('disk_path', 'text')
    .addColumn('saved_state_path', 'text')
    .addColumn('ip', 'text')
    .addColumn('rdp_port', 'integer')
    .addColumn('mcp_endpoint', 'text')
    .addColumn('lease_id', 'text')
    .addColumn('lease_holder', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('has_clean', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('boot_ms', 'integer')
    .addColumn('last_resume_ms', 'integer')
    .addColumn('last_save_ms', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // The claim's subselect is an equality on (pool, state, lease_id IS NULL) and an ORDER BY on
  // (state_since, name): this index answers it, ordered, without touching other rows.
  await schema
    .createIndex('vms_claim')
    .ifNotExists()
    .on('vms')
    .columns(['pool', 'state', 'lease_id', 'state_since', 'name'])
    .execute();
  await schema.createIndex('vms_host').ifNotExists().on('vms').columns(['host', 'state']).execute();
  // Leases are looked up by id when renewed or released, and scanned by expiry by the reaper.
  await schema.createIndex('vms_lease').ifNotExists().on('vms').columns(['lease_id']).execute();

  await schema
    .createTable('agents')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool', 'text', (c) => c.notNull().references('pools.name').onDelete('cascade'))
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('previous_status', 'text')
    .addColumn('vm', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('deadline_at', 'text')
    .addColumn('result', 'text')
    .execute();
  await schema
    .createIndex('agents_queue')
    .ifNotExists()
    .on('agents')
    .columns(['pool', 'status', 'priority', 'submitted_at'])
    .execute();
  await schema
    .createIndex('agents_status')
    .ifNotExists()
    .on('agents')
    .columns(['status', 'priority'])
    .execute();

  await schema
    .createTable('events')
    .ifNotExists()
    .addColumn('id', dialect === 'pg' ? 'bigserial' : 'integer', (c) =>
      dialect === 'pg' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('details', 'text')
    .execute();
  await schema
    .createIndex('events_subject')
    .ifNotExists()
    .on('events')
    .columns(['kind', 'subject', 'id'])
    .execute();
  await schema
    .createIndex('events_subject_only')
    .ifNotExists()
    .on('events')
    .columns(['subject', 'id'])
    .execute();

  await schema
    .createTable('hosts')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('capacity', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .execute();
}
