// The admin pages as a manager and under the two-person rule, over inject() on every dialect:
// the People page says why the rule is off with one admin (both languages), the bulk confirmation
// never counts admins and says so, a manager's batch (pages) reaches their members without email
// and its download is audited per area, and the audit page filters by area (a manager: theirs only).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor } from '../src/http/csrf.js';
import { createSession } from '../src/sessions/session.js';
import { addManager, addMember, makeArea, makePerson } from './helpers/areas.js';
import { createTestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

function text(page: string): string {
  return page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe.each(DIALECTS)('admin pages for managers and the two-person rule (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};

  async function as(who: string) {
    const { deps } = context;
    const session = await createSession(deps.db, deps.config, ids[who]!, deps.clock.now(), {
      ip: null,
      userAgent: null,
    });
    const cookie = `keyslip_session=${session.token}`;
    const csrf = csrfTokenFor(deps.keyring, session.idHash);
    return {
      get: (url: string, lang = 'en') =>
        app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html', 'accept-language': lang } }),
      post: (url: string, fields: Record<string, string>, lang = 'en') =>
        app.inject({
          method: 'POST',
          url,
          headers: {
            cookie,
            accept: 'text/html',
            'accept-language': lang,
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: new URLSearchParams({ ...fields, _csrf: csrf }).toString(),
        }),
    };
  }

  beforeAll(async () => {
    context = await createTestContext(dialect);
    ({ app } = await createTestApi(context));
    const { deps } = context;
    ids.storeA = await makeArea(deps, 'Store A');
    ids.storeB = await makeArea(deps, 'Store B');
    ids.admin = await makePerson(deps, { name: 'Ada Admin', username: 'ada.admin', role: 'admin' });
    ids.manager = await makePerson(deps, { name: 'Mia Manager', username: 'mia.manager', role: 'manager' });
    ids.managerB = await makePerson(deps, { name: 'Nils Manager', username: 'nils.manager', role: 'manager' });
    ids.w1 = await makePerson(deps, { name: 'Wanda One', username: 'wanda.one' });
    ids.w2 = await makePerson(deps, { name: 'Wanda Two', username: 'wanda.two', unclaimed: true });
    ids.mailed = await makePerson(deps, { name: 'Mailed', username: 'mailed.one', email: 'm@example.com' });
    ids.b1 = await makePerson(deps, { name: 'Berit', username: 'berit.b' });
    for (const key of ['w1', 'w2', 'mailed', 'admin', 'manager']) await addMember(deps, ids.storeA, ids[key]!);
    await addMember(deps, ids.storeB, ids.b1);
    await addManager(deps, ids.storeA, ids.manager);
    await addManager(deps, ids.storeB, ids.managerB);
  });

  afterAll(async () => {
    await app.close();
    await context.close();
  });

  it('with one active admin, People says why the two-person rule is off, in both languages', async () => {
    const admin = await as('admin');
    expect(text((await admin.get('/admin/people')).body)).toContain(
      'the two-person rule is off because there is only one active admin',
    );
    expect(text((await admin.get('/admin/people', 'sv')).body)).toContain(
      'tvåpersonsregeln är avstängd eftersom det bara finns en aktiv administratör',
    );
    // A manager is told nothing of it.
    expect((await (await as('manager')).get('/admin/people')).body).not.toContain('two-person-off');
  });

  it("the admin's bulk confirmation never counts admins, and says so", async () => {
    const page = text((await (await as('admin')).get('/admin/access-codes/issue')).body);
    // Everyone but the admin: the two managers and the four others.
    expect(page).toContain('Codes will be made for 6 people');
    expect(page).toContain('Admins never get codes here');
  });

  it("a manager's batch from the pages: their members without email, downloads audited per area", async () => {
    const manager = await as('manager');
    const confirm = text((await manager.get('/admin/access-codes/issue?hasEmail=false')).body);
    expect(confirm).toContain('Codes will be made for 2 people');
    expect(confirm).toContain('Only members of your areas who have no email address get codes here.');
    const issued = await manager.post('/admin/access-codes/issue', {
      hasEmail: 'false',
      idempotencyKey: 'k'.repeat(20),
    });
    expect(issued.statusCode).toBe(303);
    const batchPath = issued.headers.location as string;
    expect(batchPath).toMatch(/^\/admin\/batches\/[0-9a-f-]{36}$/);
    const csv = await manager.get(`${batchPath}/codes.csv`);
    expect(csv.statusCode).toBe(200);
    const names = csv.body
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    expect(names.sort()).toEqual(['Wanda One', 'Wanda Two']);
    expect((await (await as('managerB')).get(`${batchPath}/codes.csv`)).statusCode).toBe(404);
    const downloads = await context.deps.db
      .selectFrom('audit_events')
      .select('area_id')
      .where('action', '=', 'batch.downloaded')
      .execute();
    expect(downloads).toEqual([{ area_id: ids.storeA }]);
    const issuedEntries = await context.deps.db
      .selectFrom('audit_events')
      .select(['area_id', 'action'])
      .where('actor_id', '=', ids.manager!)
      .execute();
    expect(issuedEntries.length).toBe(4); // two codes, the batch, the download
    expect(new Set(issuedEntries.map((e) => e.area_id))).toEqual(new Set([ids.storeA]));
  });

  it("says clearly, in the manager's language, when their hour's codes are used up", async () => {
    const { deps } = context;
    const hour = 3_600_000;
    const windowStart = Math.floor(deps.clock.now() / hour) * hour;
    await deps.db
      .insertInto('rate_limits')
      .values({ key: `manager-codes:${ids.manager}`, window_start: windowStart, count: 500 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: 500 }))
      .execute();
    const refused = await (await as('manager')).post(`/admin/people/${ids.w1}/access-code`, {}, 'sv');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(text(refused.body)).toContain(
      'Du har nått gränsen för hur många åtkomstkoder en chef får ta fram per timme.',
    );
    await deps.db.deleteFrom('rate_limits').execute();
  });

  it("an admin's edit of a manager keeps the manager role (the form offers it back)", async () => {
    const admin = await as('admin');
    const form = (await admin.get(`/admin/people/${ids.managerB}`)).body;
    expect(form).toMatch(/name="role" value="manager" checked/);
    const saved = await admin.post(`/admin/people/${ids.managerB}`, {
      name: 'Nils Manager',
      username: 'nils.manager',
      title: 'Store lead',
      role: 'manager',
    });
    expect(saved.statusCode).toBe(303);
    const row = await context.deps.db
      .selectFrom('people')
      .select(['role', 'title'])
      .where('id', '=', ids.managerB!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'manager', title: 'Store lead' });
  });

  it('the audit page filters by area for an admin, and shows a manager their areas only', async () => {
    const admin = await as('admin');
    const byName = text((await admin.get('/admin/audit?area=store%20a')).body);
    expect(byName).toContain('Wanda One');
    const unknown = text((await admin.get('/admin/audit?area=Nowhere')).body);
    expect(unknown).toContain('No area by that name.');
    const managerB = await as('managerB');
    const theirs = text((await managerB.get('/admin/audit')).body);
    expect(theirs).not.toContain('Wanda One');
    const asked = text((await managerB.get(`/admin/audit?area=${ids.storeA}`)).body);
    expect(asked).toContain('No area by that name.');
    // Naming a person outside their areas answers as for someone unknown.
    const person = text((await managerB.get('/admin/audit?person=wanda.one')).body);
    const nobody = text((await managerB.get('/admin/audit?person=no.such.person')).body);
    expect(person.replace(/wanda\.one/g, 'X')).toBe(nobody.replace(/no\.such\.person/g, 'X'));
  });
  it("a folded batch in a manager's audit log lists only the recipients in their areas", async () => {
    const { deps } = context;
    ids.shared = await makePerson(deps, { name: 'Sam Shared', username: 'sam.shared', role: 'manager' });
    await addManager(deps, ids.storeA!, ids.shared!);
    await addManager(deps, ids.storeB!, ids.shared!);
    const shared = await as('shared');
    const issued = await shared.post('/admin/access-codes/issue', {
      hasEmail: 'false',
      idempotencyKey: 's'.repeat(20),
    });
    expect(issued.statusCode).toBe(303);
    // Store A's manager sees the batch's line for store A, folded, with store A's people only.
    const log = text((await (await as('manager')).get('/admin/audit')).body);
    expect(log).toContain('Wanda One');
    expect(log).not.toContain('Berit');
    // An admin sees everyone the batch reached.
    expect(text((await (await as('admin')).get('/admin/audit')).body)).toContain('Berit');
  });
});
