// Migration 0008 on a database that already has people (both databases), and SQLite giving space
// back: auto_vacuum=INCREMENTAL set on an existing file, pages returned after a sweep, and
// `keyslip backup` (SQLite's online backup, from another connection) making a consistent copy
// while the sweep deletes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateOneUp, migrateToLatest } from '../db/migrate.js';
import type { Deps } from '../deps.js';
import { DAY, manualClock } from '../lib/clock.js';
import { createKeyring } from '../lib/keyring.js';
import { newId } from '../lib/id.js';
import { insertPeople, searchPeopleRows } from '../people/people.store.js';
import { searchTextOf } from '../people/person.js';
import type { PeopleTable } from '../db/schema.js';
import { loadConfig } from '../config.js';
import { DIALECTS, freshPostgresSchema, silentLog, TEST_SECRET } from '../../test/helpers/deps.js';
import { SWEEP_BATCH, sweepExpiredData } from './retention.js';

const T0 = Date.UTC(2026, 0, 1);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-0008-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function person(i: number, name: string): PeopleTable {
  const row: PeopleTable = {
    id: `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
    name,
    username: null,
    email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.se`,
    employee_id: `E${1000 + i}`,
    department: null,
    location: null,
    title: null,
    role: 'member',
    status: 'unclaimed',
    password_hash: null,
    search_text: '',
    failed_sign_ins: 0,
    last_failed_sign_in_at: null,
    created_at: T0,
    updated_at: T0,
    claimed_at: null,
    last_sign_in_at: null,
    deactivated_at: null,
  };
  row.search_text = searchTextOf(row);
  return row;
}

function depsOf(handle: DatabaseHandle, now: number): Deps {
  const config = loadConfig({ KEYSLIP_SECRET: TEST_SECRET, KEYSLIP_DATA_DIR: '/tmp/keyslip-test-data' });
  return { config, db: handle.db, clock: manualClock(now), keyring: createKeyring(config.secrets), log: silentLog };
}

async function oldAuditEntries(handle: DatabaseHandle, count: number): Promise<void> {
  // About a kilobyte each, so the deleted ones free whole pages.
  const details = JSON.stringify({ note: 'x'.repeat(1000) });
  for (let i = 0; i < count; i += 200) {
    await handle.db
      .insertInto('audit_events')
      .values(
        Array.from({ length: Math.min(200, count - i) }, (_, j) => ({
          id: newId(T0 + i + j),
          at: T0 + i + j,
          action: 'person.updated',
          actor_id: null,
          actor_label: 'cli',
          person_id: null,
          details,
          ip: null,
          area_id: null,
        })),
      )
      .execute();
  }
}

const pragma = async (handle: DatabaseHandle, name: string): Promise<number> => {
  const { rows } = await sql.raw<Record<string, number>>(`pragma ${name}`).execute(handle.db);
  return Number(Object.values(rows[0]!)[0]);
};

describe.each(DIALECTS)('migration 0008 on a directory that already has people (%s)', (dialect) => {
  it('indexes the words of everyone already there', async () => {
    let url = `sqlite:${path.join(tempDir(), 'keyslip.db')}`;
    if (dialect === 'postgres') {
      const schema = await freshPostgresSchema();
      url = schema.url;
      cleanups.push(schema.drop);
    }
    const handle = openDatabase(url, { poolSize: 2 });
    cleanups.push(() => handle.close());
    for (let step = 0; step < 7; step++) await migrateOneUp(handle.db);
    // Written as the schema stood then (insertPeople writes the code state's table, made by 0014).
    await handle.db
      .insertInto('people')
      .values([person(1, 'Åsa Öberg'), person(2, 'Bo Ek'), person(3, '王秀英')])
      .execute();
    expect((await migrateToLatest(handle.db))[0]).toBe('0008_retention_search');

    const names = async (q: string): Promise<string[]> =>
      (await searchPeopleRows(handle.db, { q }, { limit: 10, after: null, now: T0 })).rows.map((row) => row.name);
    expect(await names('ö')).toEqual(['Åsa Öberg']);
    expect(await names('ek')).toEqual(['Bo Ek']);
    expect(await names('王')).toEqual(['王秀英']);
    expect(await names('e1')).toEqual(['Bo Ek', 'Åsa Öberg', '王秀英']);
    // And people added or renamed afterwards.
    await insertPeople(handle.db, [person(4, 'Erik Zazzi')]);
    await handle.db.updateTable('people').set({ search_text: 'bodil ek e1002' }).where('name', '=', 'Bo Ek').execute();
    expect(await names('zz')).toEqual([]);
    expect(await names('za')).toEqual(['Erik Zazzi']);
    expect(await names('bo')).toEqual(['Bo Ek']);
  });
});

describe('SQLite gives space back', () => {
  it('sets auto_vacuum=INCREMENTAL on an existing file, and the sweep returns freed pages', async () => {
    const file = path.join(tempDir(), 'keyslip.db');
    const handle = openDatabase(`sqlite:${file}`);
    cleanups.push(() => handle.close());
    for (let step = 0; step < 5; step++) await migrateOneUp(handle.db);
    expect(await pragma(handle, 'auto_vacuum')).toBe(0);
    await oldAuditEntries(handle, 3_000);
    await migrateToLatest(handle.db);
    expect(await pragma(handle, 'auto_vacuum')).toBe(2);
    expect(await sql`pragma integrity_check`.execute(handle.db)).toMatchObject({ rows: [{ integrity_check: 'ok' }] });

    const pagesBefore = await pragma(handle, 'page_count');
    const report = await sweepExpiredData(depsOf(handle, T0 + 401 * DAY), 'test', { sqlite: handle.sqlite });
    expect(report!.auditEvents).toBe(3_000);
    expect(report!.pagesFreed).toBeGreaterThan(500);
    expect(await pragma(handle, 'freelist_count')).toBe(0);
    expect(await pragma(handle, 'page_count')).toBeLessThan(pagesBefore - 500);
  });

  it('keyslip backup makes a consistent copy while the sweep deletes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'keyslip.db');
    const handle = openDatabase(`sqlite:${file}`);
    cleanups.push(() => handle.close());
    await migrateToLatest(handle.db);
    const entries = SWEEP_BATCH * 12;
    await oldAuditEntries(handle, entries);

    // The backup runs on a connection of its own (as the CLI does, in its own process), a few
    // pages per step, while the server's connection sweeps in batches.
    const other = openDatabase(`sqlite:${file}`);
    cleanups.push(() => other.close());
    const copy = path.join(dir, 'backup.db');
    let steps = 0;
    const [report] = await Promise.all([
      sweepExpiredData(depsOf(handle, T0 + 401 * DAY), 'server', { sqlite: handle.sqlite }),
      other.sqlite!.backup(copy, {
        progress: () => {
          steps += 1;
          return 20;
        },
      }),
    ]);
    expect(report!.auditEvents).toBe(entries);
    expect(steps).toBeGreaterThan(1);

    const restored = openDatabase(`sqlite:${copy}`);
    cleanups.push(() => restored.close());
    expect((await sql`pragma integrity_check`.execute(restored.db)).rows).toEqual([{ integrity_check: 'ok' }]);
    expect((await sql`pragma foreign_key_check`.execute(restored.db)).rows).toEqual([]);
    // A snapshot between two of the sweep's batches: whole batches gone, never part of one.
    const left = await restored.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(left.n) % SWEEP_BATCH).toBe(0);
    expect(await pragma(restored, 'auto_vacuum')).toBe(2);
  });
});
