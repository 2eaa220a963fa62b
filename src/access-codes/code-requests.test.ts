import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPerson, auditRows, client, expectAppError } from '../../test/helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { CLI_ACTOR } from '../audit/audit.js';
import { deactivatePerson } from '../accounts/deactivate-person.js';
import type { Deps } from '../deps.js';
import { DAY, HOUR } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import { issueAccessCode } from './access-codes.service.js';
import {
  CODE_REQUEST_DAYS_OPEN,
  CODE_REQUESTS_PER_ACCOUNT_DAY,
  CODE_REQUESTS_PER_ADDRESS_HOUR,
  listOpenCodeRequests,
  requestAccessCode,
} from './code-requests.js';

describe.each(DIALECTS)('asking for a new code (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  beforeEach(async () => {
    context = await createTestContext(dialect);
    deps = context.deps;
  });
  afterEach(async () => {
    await context.close();
  });

  async function area(name: string, members: string[], managers: string[]): Promise<void> {
    const now = deps.clock.now();
    const id = newId(now);
    await deps.db
      .insertInto('areas')
      .values({ id, name, name_key: name.toLowerCase(), created_at: now, updated_at: now })
      .execute();
    for (const person_id of members)
      await deps.db.insertInto('area_members').values({ area_id: id, person_id, added_at: now }).execute();
    for (const person_id of managers)
      await deps.db.insertInto('area_managers').values({ area_id: id, person_id, added_at: now }).execute();
  }

  async function activate(person: { id: string }, role?: 'manager'): Promise<void> {
    await deps.db
      .updateTable('people')
      .set({ status: 'active', ...(role ? { role } : {}) })
      .where('id', '=', person.id)
      .execute();
  }

  it('reaches the managers of the person’s areas, or the admins when the areas have none', async () => {
    const admin = await addPerson(deps, { name: 'Ada Admin', username: 'ada', role: 'admin' });
    // The manager role is set in the table: this test is about who sees a request, not roles.
    const manager = { ...(await addPerson(deps, { name: 'Maja Chef', username: 'maja' })), role: 'manager' as const };
    const other = { ...(await addPerson(deps, { name: 'Olle Chef', username: 'olle' })), role: 'manager' as const };
    await activate(admin);
    await activate(manager, 'manager');
    await activate(other, 'manager');
    const anna = await addPerson(deps, { name: 'Anna Wójcik', username: 'anna.wojcik', employeeId: 'E214' });
    const bo = await addPerson(deps, { name: 'Bo Ek', employeeId: 'E900', location: 'Lager' });
    await area('Butik 214', [anna.id], [manager.id]);
    await area('Butik 300', [], [other.id]);

    await requestAccessCode(deps, { login: 'Anna.Wojcik', client: client() });
    await requestAccessCode(deps, { login: ' E900 ', client: client() });

    const forManager = await listOpenCodeRequests(deps, manager, { limit: 10 });
    expect(forManager.total).toBe(1);
    expect(forManager.items).toEqual([
      expect.objectContaining({ personId: anna.id, name: 'Anna Wójcik', employeeId: 'E214', times: 1 }),
    ]);
    const forAdmin = await listOpenCodeRequests(deps, admin, { limit: 10 });
    expect(forAdmin.items.map((item) => item.personId)).toEqual([bo.id]);
    expect((await listOpenCodeRequests(deps, other, { limit: 10 })).total).toBe(0);
    expect((await listOpenCodeRequests(deps, anna, { limit: 10 })).total).toBe(0);

    // A manager who is deactivated no longer counts: the request goes to the admins.
    await deactivatePerson(deps, manager.id, CLI_ACTOR);
    expect((await listOpenCodeRequests(deps, admin, { limit: 10 })).total).toBe(2);

    const audited = await auditRows(deps.db, { action: 'access_code.requested' });
    expect(audited.map((row) => row.person_id).sort()).toEqual([anna.id, bo.id].sort());
    for (const row of audited) expect(row.details).not.toMatch(/anna|E900/i);
  });

  it('answers the same for an unknown or deactivated account, and changes nothing', async () => {
    const admin = await addPerson(deps, { name: 'Ada Admin', username: 'ada', role: 'admin' });
    const gone = await addPerson(deps, { name: 'Gone Person', username: 'gone' });
    await deactivatePerson(deps, gone.id, CLI_ACTOR);
    await expect(requestAccessCode(deps, { login: 'nobody.here', client: client() })).resolves.toBeUndefined();
    await expect(requestAccessCode(deps, { login: 'gone', client: client() })).resolves.toBeUndefined();
    await expect(requestAccessCode(deps, { login: 'Sara Sjögren', client: client() })).resolves.toBeUndefined();
    expect((await listOpenCodeRequests(deps, admin, { limit: 10 })).total).toBe(0);
    const audited = await auditRows(deps.db, { action: 'access_code.requested' });
    expect(audited.map((row) => JSON.parse(row.details))).toEqual([
      { found: false },
      { found: false },
      { found: false },
    ]);
    for (const row of audited) expect(row.details).not.toContain('nobody');
  });

  it('is limited per account (silently) and per address (429)', async () => {
    const admin = await addPerson(deps, { name: 'Ada Admin', username: 'ada', role: 'admin' });
    const anna = await addPerson(deps, { name: 'Anna', username: 'anna' });
    for (let i = 0; i < CODE_REQUESTS_PER_ACCOUNT_DAY + 2; i++)
      await requestAccessCode(deps, { login: 'anna', client: client(`10.0.0.${i + 1}`) });
    const [request] = (await listOpenCodeRequests(deps, admin, { limit: 10 })).items;
    expect(request).toMatchObject({ personId: anna.id, times: CODE_REQUESTS_PER_ACCOUNT_DAY });

    const shop = client('203.0.113.50');
    for (let i = 0; i < CODE_REQUESTS_PER_ADDRESS_HOUR; i++)
      await requestAccessCode(deps, { login: `someone${i}`, client: shop });
    await expectAppError(requestAccessCode(deps, { login: 'anna', client: shop }), 'rate_limited');
    context.clock.advance(HOUR);
    await requestAccessCode(deps, { login: 'nobody', client: shop });
  });

  it('stays open until a code is issued after it, and for at most two weeks', async () => {
    const admin = await addPerson(deps, { name: 'Ada Admin', username: 'ada', role: 'admin' });
    const anna = await addPerson(deps, { name: 'Anna', username: 'anna' });
    const bo = await addPerson(deps, { name: 'Bo', username: 'bo.ek' });
    await requestAccessCode(deps, { login: 'anna', client: client() });
    await requestAccessCode(deps, { login: 'bo.ek', client: client() });
    context.clock.advance(HOUR);
    await issueAccessCode(deps, { personId: anna.id, actor: CLI_ACTOR });
    expect((await listOpenCodeRequests(deps, admin, { limit: 10 })).items.map((item) => item.personId)).toEqual([
      bo.id,
    ]);
    // Asking again after the code was made opens a new request, counted from one.
    context.clock.advance(DAY);
    await requestAccessCode(deps, { login: 'anna', client: client() });
    expect((await listOpenCodeRequests(deps, admin, { limit: 10 })).items[0]).toMatchObject({
      personId: anna.id,
      times: 1,
    });
    context.clock.advance(CODE_REQUEST_DAYS_OPEN * DAY);
    expect((await listOpenCodeRequests(deps, admin, { limit: 10 })).total).toBe(0);
  });
});
