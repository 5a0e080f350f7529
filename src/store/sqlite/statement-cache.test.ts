import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.js';

describe('withStatementCache', () => {
  it('reuses a statement for the same SQL and evicts the least recently used', () => {
    const db = withStatementCache(new Database(':memory:'), 2);
    const a = db.prepare('select 1 as x');
    expect(db.prepare('select 1 as x')).toBe(a);
    const b = db.prepare('select 2 as x');
    db.prepare('select 1 as x'); // a is now the most recent
    db.prepare('select 3 as x'); // evicts b
    expect(db.prepare('select 1 as x')).toBe(a);
    expect(db.prepare('select 2 as x')).not.toBe(b);
    expect(a.all([])).toEqual([{ x: 1 }]);
    db.close();
  });

  it('keeps working across a schema change', () => {
    const db = withStatementCache(new Database(':memory:'));
    db.prepare('create table t (a integer)').run([]);
    db.prepare('insert into t (a) values (?)').run([1]);
    const before = db.prepare('select * from t').all([]);
    db.prepare('alter table t add column b integer').run([]);
    expect(before).toEqual([{ a: 1 }]);
    expect(db.prepare('select * from t').all([])).toEqual([{ a: 1, b: null }]);
    db.close();
  });
});
