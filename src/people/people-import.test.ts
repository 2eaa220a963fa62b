// CSV import obeys the rules of the single-person path (last admin, identities) and leaves an
// audit entry per person, written in the same transaction as the person's row; on every dialect.
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { addPerson, auditRows, failAuditInserts } from '../../test/helpers/core.js';
import type { Actor } from '../audit/audit.js';
import { MINUTE } from '../lib/clock.js';
import { importPeople, indexWaitingPeople, type ImportReport } from './people-import.js';
import { newPersonRow, updatePerson } from './people.service.js';
import { deferSearchIndexing, insertPeople, searchPeopleRows, updatePersonFields } from './people.store.js';
import { fragmentMatches } from './person.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-000000000001', label: 'boss', ip: '198.51.100.7' };

const csv = (text: string): Readable => Readable.from([Buffer.from(text)]);

describe.each(DIALECTS)('CSV import and the rules (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  const db = (): TestContext['deps']['db'] => context.deps.db;
  const roleOf = async (username: string): Promise<string | undefined> =>
    (await db().selectFrom('people').select('role').where('username', '=', username).executeTakeFirst())?.role;
  const importCsv = (text: string): Promise<ImportReport> => importPeople(context.deps, csv(text), ADMIN);

  it('cannot demote the last admin: that row is reported, the other rows are kept', async () => {
    await addPerson(context.deps, { name: 'Only Admin', username: 'boss', role: 'admin' });
    const report = await importCsv('name,username,role\nOnly Admin,boss,member\nWendy Worker,wendy,member\n');
    expect(report.created).toBe(1);
    expect(report.updated).toBe(0);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.line).toBe(2);
    expect(report.errors[0]!.problems).toEqual([{ field: 'role', code: 'import_last_admin' }]);
    expect(await roleOf('boss')).toBe('admin');
    expect(await roleOf('wendy')).toBe('member');
    expect(await auditRows(context.deps.db, { action: 'person.updated' })).toEqual([]);
  });

  it('of two admins demoted by one file, the first goes and the second, now the last, stays', async () => {
    await addPerson(context.deps, { name: 'Ada', username: 'ada', role: 'admin' });
    await addPerson(context.deps, { name: 'Bob', username: 'bob', role: 'admin' });
    const report = await importCsv('name,username,role\nAda,ada,member\nBob,bob,member\n');
    expect(report).toMatchObject({ created: 0, updated: 1 });
    expect(report.errors.map((e) => e.line)).toEqual([3]);
    expect([await roleOf('ada'), await roleOf('bob')]).toEqual(['member', 'admin']);
  });

  it('two imports at once, each demoting one of the two admins: one wins, an admin remains', async () => {
    await addPerson(context.deps, { name: 'Ada', username: 'ada', role: 'admin' });
    await addPerson(context.deps, { name: 'Bob', username: 'bob', role: 'admin' });
    const demote = (name: string): Promise<ImportReport> =>
      importCsv(`name,username,role\n${name},${name.toLowerCase()},member\n`);
    const reports = await Promise.all([demote('Ada'), demote('Bob')]);
    expect(reports.map((r) => r.updated).sort()).toEqual([0, 1]);
    expect(reports.flatMap((r) => r.errors.map((e) => e.line))).toEqual([2]);
    expect([await roleOf('ada'), await roleOf('bob')].filter((role) => role === 'admin')).toHaveLength(1);
  });

  it('an admin the same file creates counts: the old admin may then be demoted', async () => {
    await addPerson(context.deps, { name: 'Old Admin', username: 'old', role: 'admin' });
    const report = await importCsv('name,username,role\nNew Admin,new,admin\nOld Admin,old,member\n');
    expect(report).toEqual({ created: 1, updated: 1, unchanged: 0, errors: [] });
    expect([await roleOf('new'), await roleOf('old')]).toEqual(['admin', 'member']);
  });

  it('writes an entry per person: created with the role; changed with role and identifiers old → new', async () => {
    const ann = await addPerson(context.deps, {
      name: 'Ann',
      username: 'ann',
      email: 'ann@example.com',
      employeeId: 'E1',
    });
    const dee = await addPerson(context.deps, { name: 'Dee', employeeId: 'E2' });
    const same = await addPerson(context.deps, { name: 'Same', username: 'same' });
    context.clock.advance(MINUTE);
    const report = await importCsv(
      [
        'name,username,email,employeeId,role',
        'Ann,ann,ann@work.example,E1,admin',
        'Dee,dee,,E2,',
        'Same,same,,,',
        'Neo,neo,,E3,admin',
        '',
      ].join('\n'),
    );
    expect(report).toEqual({ created: 1, updated: 2, unchanged: 1, errors: [] });

    const updated = await auditRows(context.deps.db, { action: 'person.updated' });
    expect(updated.map((row) => row.person_id).sort()).toEqual([ann.id, dee.id].sort());
    const detailsOf = (personId: string): Record<string, unknown> =>
      JSON.parse(updated.find((row) => row.person_id === personId)!.details);
    expect(detailsOf(ann.id)).toMatchObject({
      role: { from: 'member', to: 'admin' },
      email: { from: 'ann@example.com', to: 'ann@work.example' },
    });
    expect(detailsOf(ann.id)).not.toHaveProperty('username');
    expect(detailsOf(dee.id)).toMatchObject({ username: { from: null, to: 'dee' } });
    expect(detailsOf(dee.id)).not.toHaveProperty('role');
    for (const row of updated) expect(row).toMatchObject({ actor_id: ADMIN.id, actor_label: 'boss', ip: ADMIN.ip });
    // "Same" had nothing to change: no entry of its own.
    expect(await auditRows(context.deps.db, { personId: same.id, action: 'person.updated' })).toEqual([]);

    const neo = await db().selectFrom('people').select('id').where('username', '=', 'neo').executeTakeFirstOrThrow();
    const createdRows = await auditRows(context.deps.db, { action: 'person.created', personId: neo.id });
    expect(createdRows).toHaveLength(1);
    expect(JSON.parse(createdRows[0]!.details)).toMatchObject({ role: 'admin' });
    // The summary stays too.
    const summary = await auditRows(context.deps.db, { action: 'people.imported' });
    expect(JSON.parse(summary.at(-1)!.details)).toEqual({ created: 1, updated: 2, unchanged: 1, errors: 0 });
  });

  it('the audit entries are written with the rows: when they cannot be, no row changes', async () => {
    await addPerson(context.deps, { name: 'Ann', username: 'ann' });
    const restore = await failAuditInserts(context, 'person.updated');
    await expect(importCsv('name,username,role\nAnn,ann,admin\nNew Person,newp,member\n')).rejects.toThrow();
    await restore();
    expect(await roleOf('ann')).toBe('member');
    expect(await roleOf('newp')).toBeUndefined();
    expect(await auditRows(context.deps.db, { action: 'person.created' })).toHaveLength(1); // Ann's, from addPerson
  });

  it.runIf(dialect === 'postgres')(
    'locks only the people it changes: a row lock held elsewhere on an unchanged person does not stop it',
    async () => {
      await addPerson(context.deps, { name: 'Ann', username: 'ann', employeeId: 'E1' });
      await addPerson(context.deps, { name: 'Bo', username: 'bob', employeeId: 'E2' });
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding = (): void => undefined;
      const held = new Promise<void>((resolve) => {
        holding = resolve;
      });
      const holder = db()
        .transaction()
        .execute(async (trx) => {
          await trx.selectFrom('people').select('id').where('username', '=', 'ann').forUpdate().execute();
          holding();
          await released;
        });
      await held;
      // Ann as she is (unchanged), Bo with a new title (changed): done while Ann's row stays locked.
      const report = await importCsv('name,username,employeeId,title\nAnn,ann,E1,\nBo,bob,E2,Chef\n');
      release();
      await holder;
      expect(report).toEqual({ created: 0, updated: 1, unchanged: 1, errors: [] });
    },
  );

  it('a role change through the single-person path records old → new too', async () => {
    const ann = await addPerson(context.deps, { name: 'Ann', username: 'ann' });
    await updatePerson(context.deps, ann.id, { role: 'admin', username: 'ann.a' }, ADMIN);
    const [entry] = await auditRows(context.deps.db, { action: 'person.updated', personId: ann.id });
    expect(JSON.parse(entry!.details)).toEqual({
      changed: ['username', 'role'],
      role: { from: 'member', to: 'admin' },
      username: { from: 'ann', to: 'ann.a' },
    });
  });
});

describe.each(DIALECTS)('CSV import and search (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  const db = (): TestContext['deps']['db'] => context.deps.db;
  const NOW = Date.UTC(2026, 11, 7);
  /** What a search finds, against what a plain scan with the rule of fragmentMatches finds. */
  const searchAndScan = async (q: string): Promise<{ found: string[]; scanned: string[] }> => {
    const found = await searchPeopleRows(db(), { q }, { limit: 500, after: null, now: NOW });
    const everyone = await db().selectFrom('people').select(['name', 'search_text']).execute();
    return {
      found: found.rows.map((row) => row.name).sort(),
      scanned: everyone
        .filter((row) => fragmentMatches(row.search_text, q))
        .map((row) => row.name)
        .sort(),
    };
  };
  /** SQLite: FTS5's own check of both search indexes against the people table (throws when broken). */
  const checkSearchIndexes = async (): Promise<void> => {
    if (dialect !== 'sqlite') return;
    await sql`insert into people_fts(people_fts, rank) values ('integrity-check', 1)`.execute(db());
    await sql`insert into people_words(people_words, rank) values ('integrity-check', 1)`.execute(db());
    const backlog = await sql`select * from people_search_backlog`.execute(db());
    expect(backlog.rows).toEqual([]);
  };

  it('finds the people an import created and changed once it returns: word starts and fragments', async () => {
    await addPerson(context.deps, { name: 'Zoran Before', username: 'zoran' });
    await addPerson(context.deps, { name: 'Renamed Person', employeeId: 'E9' });
    const rows = Array.from({ length: 40 }, (_, i) => `Zoe Andersson ${i},,E${100 + i}`);
    const report = await importPeople(
      context.deps,
      csv(['name,username,employeeId', ...rows, 'Ndrea Zed,zed,E200', 'Zorro Changed,,E9', ''].join('\n')),
      ADMIN,
    );
    expect(report).toMatchObject({ created: 41, updated: 1, errors: [] });
    for (const q of ['zo', 'z', 'ndr', 'andersson 1', 'e10', 'renamed', 'zorro']) {
      const { found, scanned } = await searchAndScan(q);
      expect(found, q).toEqual(scanned);
    }
    expect((await searchAndScan('zo')).found).toHaveLength(42);
    expect((await searchAndScan('renamed')).found).toEqual([]);
    await checkSearchIndexes();
  });

  it.runIf(dialect === 'sqlite')(
    'people changed or deleted while they wait in the search backlog are indexed as they are then',
    async () => {
      const indexed = await addPerson(context.deps, { name: 'Indexed Ida', username: 'ida' });
      const now = context.clock.now();
      const waiting = ['Waiting Wim', 'Waiting Wanda', 'Waiting Will'].map((name) => newPersonRow({ name }, now));
      await db()
        .transaction()
        .execute(async (trx) => {
          await deferSearchIndexing(trx);
          await insertPeople(trx, waiting);
        });
      // Not yet searchable: the backlog holds them.
      expect((await searchAndScan('wai')).found).toEqual([]);
      await updatePersonFields(db(), indexed.id, { name: 'Indexed Irma' }, { searchText: 'indexed irma ida', now });
      await updatePersonFields(db(), waiting[0]!.id, { name: 'Renamed Rolf' }, { searchText: 'renamed rolf', now });
      await db().deleteFrom('people').where('id', '=', waiting[1]!.id).execute();
      await addPerson(context.deps, { name: 'Waiting Wes', username: 'wes' }); // after the backlog opened
      await indexWaitingPeople(db());
      await checkSearchIndexes();
      for (const q of ['wai', 'wa', 'ren', 'r', 'irma', 'ida', 'wes', 'wim']) {
        const { found, scanned } = await searchAndScan(q);
        expect(found, q).toEqual(scanned);
      }
      expect((await searchAndScan('wai')).found).toEqual(['Waiting Wes', 'Waiting Will']);
    },
  );
});
