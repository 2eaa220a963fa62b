import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPerson, auditRows, expectAppError, failAuditInserts } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import type { Actor } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { getPerson } from '../people/people.service.js';
import { areaNameKey, cleanAreaName } from './area.js';
import {
  addAreaManager,
  addAreaMember,
  areasManagedBy,
  areasOfPerson,
  countAreas,
  createArea,
  deleteArea,
  findAreaByName,
  getArea,
  listAreaMembers,
  listAreas,
  removeAreaManager,
  removeAreaMember,
  renameArea,
  setAreaMembersIn,
  setAreasOfPeopleIn,
  setAreasOfPerson,
} from './areas.service.js';

const ADMIN: Actor = { kind: 'person', id: '00000000-0000-7000-8000-000000000001', label: 'boss' };

describe('area names', () => {
  it('are 1–100 characters of any script, trimmed, with inner white space made one space', () => {
    expect(cleanAreaName('  Store   12 ')).toBe('Store 12');
    expect(cleanAreaName('Avdelning Åsa')).toBe('Avdelning Åsa');
    expect(cleanAreaName('北京 店')).toBe('北京 店');
    expect(cleanAreaName('ع'.repeat(100))).toBe('ع'.repeat(100));
    expect(cleanAreaName('😀'.repeat(100))).toBe('😀'.repeat(100));
  });

  it('refuse empty, too long, control characters, bidi overrides and the import separator "|"', () => {
    for (const bad of ['', '   ', 'a'.repeat(101), 'a\u0000b', 'x\u202ey', 'North|South', '\ud800'])
      expect(cleanAreaName(bad), JSON.stringify(bad)).toBeNull();
  });

  it('fold NFKC, lower case, trimmed: one key for spellings that mean the same area', () => {
    expect(areaNameKey('Store 12')).toBe(areaNameKey('  store 12 '));
    expect(areaNameKey('Ｓｔｏｒｅ １２')).toBe(areaNameKey('store 12'));
    expect(areaNameKey('ÅSA')).toBe(areaNameKey('åsa'));
  });
});

describe.each(DIALECTS)('areas (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });
  afterEach(async () => {
    await context.close();
  });

  it('are created, found by id and folded name, renamed and deleted, audited with the area', async () => {
    const area = await createArea(deps, ' Store  12 ', ADMIN);
    expect(area).toMatchObject({ name: 'Store 12', memberCount: 0, managerCount: 0 });
    expect(await getArea(deps.db, area.id)).toEqual(area);
    expect((await findAreaByName(deps.db, 'STORE 12'))?.id).toBe(area.id);
    expect(await findAreaByName(deps.db, 'Store 13')).toBeNull();

    context.clock.advance(1000);
    const renamed = await renameArea(deps, area.id, 'Store 12 Malmö', ADMIN);
    expect(renamed.name).toBe('Store 12 Malmö');
    expect(renamed.updatedAt > area.updatedAt).toBe(true);
    expect(await findAreaByName(deps.db, 'store 12')).toBeNull();

    await deleteArea(deps, area.id, ADMIN);
    expect(await getArea(deps.db, area.id)).toBeNull();
    const actions = (await auditRows(deps.db)).filter((row) => row.action.startsWith('area.'));
    expect(actions.map((row) => [row.action, row.area_id])).toEqual([
      ['area.created', area.id],
      ['area.renamed', area.id],
      ['area.deleted', area.id],
    ]);
    expect(JSON.parse(actions[1]!.details)).toEqual({ from: 'Store 12', to: 'Store 12 Malmö' });
    expect(JSON.parse(actions[2]!.details)).toMatchObject({ name: 'Store 12 Malmö' });
  });

  it('refuse a clash of folded names (409 conflict) and an invalid name (400)', async () => {
    const first = await createArea(deps, 'Ward A', ADMIN);
    const second = await createArea(deps, 'Ward B', ADMIN);
    await expectAppError(createArea(deps, 'ward a', ADMIN), 'conflict');
    await expectAppError(createArea(deps, 'Ｗａｒｄ Ａ', ADMIN), 'conflict');
    await expectAppError(renameArea(deps, second.id, 'WARD A', ADMIN), 'conflict');
    await expectAppError(createArea(deps, '', ADMIN), 'validation_failed');
    await expectAppError(createArea(deps, 'x'.repeat(101), ADMIN), 'validation_failed');
    // An area may change only the case of its own name.
    expect((await renameArea(deps, first.id, 'WARD A', ADMIN)).name).toBe('WARD A');
    await expectAppError(renameArea(deps, 'no-such-area', 'Ward C', ADMIN), 'not_found');
    await expectAppError(deleteArea(deps, 'no-such-area', ADMIN), 'not_found');
  });

  it('two creations of one name at once: exactly one wins, the other is a conflict', async () => {
    const results = await Promise.allSettled([createArea(deps, 'Depot', ADMIN), createArea(deps, 'DEPOT', ADMIN)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'conflict' });
  });

  it('list in name order, paged by cursor, and narrowed by a fragment of the name', async () => {
    for (const name of ['Ward C', 'Depot', 'ward a', 'Ward B', 'Store 1']) await createArea(deps, name, ADMIN);
    const first = await listAreas(deps.db, { limit: 2, after: null });
    expect(first.items.map((a) => a.name)).toEqual(['Depot', 'Store 1']);
    const second = await listAreas(deps.db, { limit: 2, after: first.next });
    expect(second.items.map((a) => a.name)).toEqual(['Ward B', 'Ward C']);
    const third = await listAreas(deps.db, { limit: 2, after: second.next });
    expect(third.items.map((a) => a.name)).toEqual(['ward a']);
    expect(third.next).toBeNull();
    expect((await listAreas(deps.db, { q: 'WARD', limit: 10, after: null })).items).toHaveLength(3);
    expect((await listAreas(deps.db, { q: '%', limit: 10, after: null })).items).toHaveLength(0);
  });

  it('members are added and removed once each, counted, listed, and audited with area and person', async () => {
    const area = await createArea(deps, 'Store 7', ADMIN);
    const anna = await addPerson(deps, { name: 'Anna', employeeId: 'E1' });
    const bo = await addPerson(deps, { name: 'Bo', employeeId: 'E2' });
    expect(await addAreaMember(deps, area.id, bo.id, ADMIN)).toBe(true);
    expect(await addAreaMember(deps, area.id, anna.id, ADMIN)).toBe(true);
    expect(await addAreaMember(deps, area.id, anna.id, ADMIN)).toBe(false);
    expect((await getArea(deps.db, area.id))?.memberCount).toBe(2);
    const members = await listAreaMembers(deps.db, area.id, { limit: 1, after: null });
    expect(members.rows.map((r) => r.name)).toEqual(['Anna']);
    const rest = await listAreaMembers(deps.db, area.id, { limit: 1, after: members.next });
    expect(rest.rows.map((r) => r.name)).toEqual(['Bo']);
    expect(await areasOfPerson(deps.db, anna.id)).toEqual([{ id: area.id, name: 'Store 7' }]);

    expect(await removeAreaMember(deps, area.id, anna.id, ADMIN)).toBe(true);
    expect(await removeAreaMember(deps, area.id, anna.id, ADMIN)).toBe(false);
    expect(await areasOfPerson(deps.db, anna.id)).toEqual([]);
    const rows = (await auditRows(deps.db)).filter((row) => row.action.startsWith('area.member'));
    expect(rows.map((row) => [row.action, row.area_id, row.person_id])).toEqual([
      ['area.member_added', area.id, bo.id],
      ['area.member_added', area.id, anna.id],
      ['area.member_removed', area.id, anna.id],
    ]);
    await expectAppError(addAreaMember(deps, area.id, 'no-such-person', ADMIN), 'not_found');
    await expectAppError(addAreaMember(deps, 'no-such-area', anna.id, ADMIN), 'not_found');
  });

  it('a member made area manager becomes a manager; an admin stays admin; a deactivated person cannot', async () => {
    const area = await createArea(deps, 'Store 9', ADMIN);
    const member = await addPerson(deps, { name: 'Cilla', employeeId: 'E3' });
    const admin = await addPerson(deps, { name: 'Dan', username: 'dan', role: 'admin' });
    expect(await addAreaManager(deps, area.id, member.id, ADMIN)).toBe(true);
    expect((await getPerson(deps, member.id))?.role).toBe('manager');
    const promotion = await auditRows(deps.db, { action: 'person.updated', personId: member.id });
    expect(JSON.parse(promotion[0]!.details)).toMatchObject({ role: { from: 'member', to: 'manager' } });
    expect(await addAreaManager(deps, area.id, admin.id, ADMIN)).toBe(true);
    expect((await getPerson(deps, admin.id))?.role).toBe('admin');
    expect((await getArea(deps.db, area.id))?.managerCount).toBe(2);
    expect(await areasManagedBy(deps.db, member.id)).toEqual([{ id: area.id, name: 'Store 9' }]);

    // Removing keeps the role: a manager without areas acts on no one.
    expect(await removeAreaManager(deps, area.id, member.id, ADMIN)).toBe(true);
    expect((await getPerson(deps, member.id))?.role).toBe('manager');
    expect(await areasManagedBy(deps.db, member.id)).toEqual([]);

    await context.deps.db.updateTable('people').set({ status: 'deactivated' }).where('id', '=', member.id).execute();
    await expectAppError(addAreaManager(deps, area.id, member.id, ADMIN), 'person_deactivated');
  });

  it('deleting an area removes its memberships, not its people', async () => {
    const area = await createArea(deps, 'Closing store', ADMIN);
    const person = await addPerson(deps, { name: 'Eva', employeeId: 'E4' });
    await addAreaMember(deps, area.id, person.id, ADMIN);
    await addAreaManager(deps, area.id, person.id, ADMIN);
    await deleteArea(deps, area.id, ADMIN);
    expect(await getPerson(deps, person.id)).not.toBeNull();
    expect(await areasOfPerson(deps.db, person.id)).toEqual([]);
    expect(await areasManagedBy(deps.db, person.id)).toEqual([]);
    const [deleted] = await auditRows(deps.db, { action: 'area.deleted' });
    expect(JSON.parse(deleted!.details)).toEqual({ name: 'Closing store', members: 1, managers: 1 });
  });

  it('setting a person’s areas creates areas on first use and replaces the memberships, audited', async () => {
    const person = await addPerson(deps, { name: 'Frida', employeeId: 'E5' });
    const existing = await createArea(deps, 'Store 1', ADMIN);
    const set1 = await setAreasOfPerson(deps, person.id, ['store 1', 'Store 2', 'STORE 2'], ADMIN);
    expect(set1.map((a) => a.name)).toEqual(['Store 1', 'Store 2']);
    expect(set1[0]!.id).toBe(existing.id);
    const set2 = await setAreasOfPerson(deps, person.id, ['Store 2', 'Store 3'], ADMIN);
    expect(set2.map((a) => a.name)).toEqual(['Store 2', 'Store 3']);
    expect(await setAreasOfPerson(deps, person.id, [], ADMIN)).toEqual([]);
    const rows = (await auditRows(deps.db)).filter((row) => row.action.startsWith('area.'));
    expect(rows.map((row) => row.action)).toEqual([
      'area.created', // Store 1, by hand
      'area.created', // Store 2, on first use
      'area.member_added',
      'area.member_added',
      'area.created', // Store 3
      'area.member_added',
      'area.member_removed',
      'area.member_removed',
      'area.member_removed',
    ]);
    await expectAppError(setAreasOfPerson(deps, person.id, ['ok', 'bad|name'], ADMIN), 'validation_failed');
    await expectAppError(setAreasOfPerson(deps, 'no-such-person', ['x'], ADMIN), 'not_found');
  });

  it('many people’s areas set in one call share the areas it creates', async () => {
    const a = await addPerson(deps, { name: 'G', employeeId: 'E6' });
    const b = await addPerson(deps, { name: 'H', employeeId: 'E7' });
    await deps.db.transaction().execute((trx) =>
      setAreasOfPeopleIn(
        trx,
        [
          { personId: a.id, names: ['North'] },
          { personId: b.id, names: ['north', 'South'] },
        ],
        ADMIN,
        deps.clock.now(),
        { source: 'import' },
      ),
    );
    const north = await findAreaByName(deps.db, 'NORTH');
    expect(north).toMatchObject({ name: 'North', memberCount: 2 });
    expect((await listAreas(deps.db, { limit: 10, after: null })).items).toHaveLength(2);
  });

  it('a change whose audit entry fails leaves no trace', async () => {
    const area = await createArea(deps, 'Store 5', ADMIN);
    const person = await addPerson(deps, { name: 'Ida', employeeId: 'E8' });
    let restore = await failAuditInserts(context, 'area.member_added');
    await expect(addAreaMember(deps, area.id, person.id, ADMIN)).rejects.toThrow();
    await expect(setAreasOfPerson(deps, person.id, ['Store 6'], ADMIN)).rejects.toThrow();
    await restore();
    expect(await areasOfPerson(deps.db, person.id)).toEqual([]);
    expect(await findAreaByName(deps.db, 'Store 6')).toBeNull();
    restore = await failAuditInserts(context, 'area.created');
    await expect(createArea(deps, 'Store 8', ADMIN)).rejects.toThrow();
    await restore();
    expect(await findAreaByName(deps.db, 'Store 8')).toBeNull();
    restore = await failAuditInserts(context, 'person.updated');
    await expect(addAreaManager(deps, area.id, person.id, ADMIN)).rejects.toThrow();
    await restore();
    expect((await getPerson(deps, person.id))?.role).toBe('member');
    expect(await areasManagedBy(deps.db, person.id)).toEqual([]);
  });

  it('an area’s members are replaced at once (SCIM PUT), counted and paged by offset', async () => {
    const area = await createArea(deps, 'Store 20', ADMIN);
    const [a, b, c] = [
      await addPerson(deps, { name: 'Alva', employeeId: 'S1' }),
      await addPerson(deps, { name: 'Bror', employeeId: 'S2' }),
      await addPerson(deps, { name: 'Cecilia', employeeId: 'S3' }),
    ];
    await addAreaMember(deps, area.id, a.id, ADMIN);
    await addAreaMember(deps, area.id, b.id, ADMIN);
    const now = deps.clock.now();
    await deps.db.transaction().execute((trx) => setAreaMembersIn(trx, area.id, [b.id, c.id], ADMIN, now));
    const members = await listAreaMembers(deps.db, area.id, { limit: 10, after: null });
    expect(members.rows.map((r) => r.name)).toEqual(['Bror', 'Cecilia']);
    const rows = (await auditRows(deps.db)).filter((r) => r.action.startsWith('area.member')).slice(2);
    expect(rows.map((r) => [r.action, r.person_id])).toEqual([
      ['area.member_added', c.id],
      ['area.member_removed', a.id],
    ]);
    await expectAppError(
      deps.db.transaction().execute((trx) => setAreaMembersIn(trx, area.id, [a.id, 'nobody'], ADMIN, now)),
      'not_found',
    );
    expect((await getArea(deps.db, area.id))?.memberCount).toBe(2);

    await createArea(deps, 'Store 21', ADMIN);
    await createArea(deps, 'Depot', ADMIN);
    expect(await countAreas(deps.db)).toBe(3);
    expect(await countAreas(deps.db, { q: 'STORE' })).toBe(2);
    const second = await listAreas(deps.db, { limit: 1, after: null, offset: 1 });
    expect(second.items.map((x) => x.name)).toEqual(['Store 20']);
  });
});
