// The CSV import's `areas` column (SPEC §9), on every dialect: the same importer serves the admin
// page, the API and the CLI.
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditRows, failAuditInserts } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import type { Actor } from '../audit/audit.js';
import { importPeople, reportInWords, type ImportReport } from '../people/people-import.js';
import { areasOfPerson, createArea, findAreaByName, listAreas } from './areas.service.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-000000000001', label: 'boss' };

describe.each(DIALECTS)('the areas column of the CSV import (%s)', (dialect) => {
  let context: TestContext;
  beforeEach(async () => {
    context = await createTestContext(dialect);
  });
  afterEach(async () => {
    await context.close();
  });

  const importCsv = (text: string): Promise<ImportReport> =>
    importPeople(context.deps, Readable.from([Buffer.from(text)]), ADMIN);
  const idOf = async (employeeId: string): Promise<string> =>
    (
      await context.deps.db
        .selectFrom('people')
        .select('id')
        .where('employee_id', '=', employeeId)
        .executeTakeFirstOrThrow()
    ).id;
  const areaNamesOf = async (employeeId: string): Promise<string[]> =>
    (await areasOfPerson(context.deps.db, await idOf(employeeId))).map((a) => a.name);

  it('creates areas on first use (folded: one area however spelled) and makes the people members', async () => {
    const existing = await createArea(context.deps, 'Store 1', ADMIN);
    const report = await importCsv(
      'name,employeeId,Areas\nAnna,E1,store 1| Store 2 \nBo,E2,STORE 2\nCilla,E3,\nDan,E4,Ｓｔｏｒｅ ３|Store 1\n',
    );
    expect(report).toMatchObject({ created: 4, updated: 0, errors: [] });
    expect(await areaNamesOf('E1')).toEqual(['Store 1', 'Store 2']);
    expect(await areaNamesOf('E2')).toEqual(['Store 2']);
    expect(await areaNamesOf('E3')).toEqual([]);
    expect(await areaNamesOf('E4')).toEqual(['Store 1', 'Ｓｔｏｒｅ ３']);
    expect((await findAreaByName(context.deps.db, 'Store 1'))?.id).toBe(existing.id);
    expect((await findAreaByName(context.deps.db, 'store 2'))?.memberCount).toBe(2);
    expect((await listAreas(context.deps.db, { limit: 10, after: null })).items).toHaveLength(3);
    const created = await auditRows(context.deps.db, { action: 'area.created' });
    expect(created.slice(1).map((row) => JSON.parse(row.details))).toEqual([
      { name: 'Store 2', source: 'import' },
      { name: 'Ｓｔｏｒｅ ３', source: 'import' },
    ]);
    const added = await auditRows(context.deps.db, { action: 'area.member_added' });
    expect(added).toHaveLength(5);
    expect(added.every((row) => row.area_id !== null && row.person_id !== null)).toBe(true);
  });

  it('a re-import replaces areas; an empty cell clears them; a file without the column leaves them', async () => {
    await importCsv('name,employeeId,areas\nAnna,E1,North|South\nBo,E2,North\n');
    await importCsv('name,employeeId,areas\nAnna,E1,South|West\nBo,E2,\n');
    expect(await areaNamesOf('E1')).toEqual(['South', 'West']);
    expect(await areaNamesOf('E2')).toEqual([]);
    const removed = await auditRows(context.deps.db, { action: 'area.member_removed' });
    expect(removed).toHaveLength(2);
    await importCsv('name,employeeId,title\nAnna,E1,Cashier\n');
    expect(await areaNamesOf('E1')).toEqual(['South', 'West']);
    // Areas emptied by a re-import stay: an admin deletes an area, never the import.
    expect((await findAreaByName(context.deps.db, 'North'))?.memberCount).toBe(0);
  });

  it('an invalid area name refuses its row with the line and the name; other rows are kept', async () => {
    const long = 'x'.repeat(101);
    const report = await importCsv(`name,employeeId,areas\nAnna,E1,Good\nBo,E2,Fine|${long}\nCilla,E3,Good\n`);
    expect(report).toMatchObject({ created: 2, updated: 0 });
    expect(report.errors).toEqual([
      { line: 3, problems: [{ field: 'areas', code: 'import_area_invalid', params: { value: long } }] },
    ]);
    expect(reportInWords(report, 'sv').errors[0]!.message).toContain('områdesnamn');
    expect(await findAreaByName(context.deps.db, 'Fine')).toBeNull();
    expect((await findAreaByName(context.deps.db, 'Good'))?.memberCount).toBe(2);
  });

  it('areas shared across chunks of a large file are created once', async () => {
    const lines = ['name,employeeId,areas'];
    for (let i = 0; i < 2500; i++) lines.push(`Person ${i},N${i},Store ${i % 7}|All`);
    const report = await importCsv(`${lines.join('\n')}\n`);
    expect(report).toMatchObject({ created: 2500, errors: [] });
    const areas = (await listAreas(context.deps.db, { limit: 20, after: null })).items;
    expect(areas.map((a) => [a.name, a.memberCount])).toEqual([
      ['All', 2500],
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => [`Store ${i}`, i === 0 ? 358 : 357]),
    ]);
  });

  it('a chunk whose area audit entry fails writes neither the people nor their areas', async () => {
    const restore = await failAuditInserts(context, 'area.member_added');
    await expect(importCsv('name,employeeId,areas\nAnna,E1,North\n')).rejects.toThrow();
    await restore();
    expect(await context.deps.db.selectFrom('people').select('id').execute()).toEqual([]);
    expect(await findAreaByName(context.deps.db, 'North')).toBeNull();
  });
});
