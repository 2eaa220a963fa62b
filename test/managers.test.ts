// The manager role (SPEC §9) over the JSON API with a manager's session, on every dialect: People
// narrowed to their areas (search, counts, paging), codes for members only, 404 outside their
// areas and 403 for admins, managers and themselves, the audit log naming and filtered by area,
// the hourly cap (a bulk refused whole), scope read afresh on every request, bulk issue never
// reaching admins, and the two-person rule for admin codes.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { createAdmin } from '../src/accounts/first-admin.js';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/db/database.js';
import { HOUR } from '../src/lib/clock.js';
import { addManager, addMember, makeArea, makePerson, removeManager, sessionCookie } from './helpers/areas.js';
import { createTestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const CODE = /^[B-Z]{4}-[B-Z]{4}-[B-Z]{4}-[B-Z]{4}$/;

describe.each(DIALECTS)('the manager role (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let token: { authorization: string };
  const ids: Record<string, string> = {};
  const cookies: Record<string, string> = {};

  async function call(
    who: string,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const auth = who === 'token' ? token : { cookie: cookies[who]! };
    return app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload ? { payload } : {}),
    });
  }

  async function auditOf(personId: string, action: string): Promise<{ area_id: string | null }[]> {
    return context.deps.db
      .selectFrom('audit_events')
      .select('area_id')
      .where('person_id', '=', personId)
      .where('action', '=', action)
      .execute();
  }

  beforeAll(async () => {
    context = await createTestContext(dialect, { env: { KEYSLIP_MANAGER_CODES_PER_HOUR: '6' } });
    const api = await createTestApi(context);
    app = api.app;
    token = api.admin;
    const { deps } = context;
    ids.storeA = await makeArea(deps, 'Store A');
    ids.storeB = await makeArea(deps, 'Store B');
    ids.admin = await makePerson(deps, { name: 'Ada Admin', username: 'ada', email: 'ada@example.com', role: 'admin' });
    ids.admin2 = await makePerson(deps, {
      name: 'Bo Admin',
      username: 'bo.admin',
      email: 'bo@example.com',
      role: 'admin',
    });
    ids.manager = await makePerson(deps, { name: 'Mia Manager', username: 'mia', role: 'manager' });
    ids.otherManager = await makePerson(deps, { name: 'Max Manager', username: 'max', role: 'manager' });
    ids.managerB = await makePerson(deps, { name: 'Nils Manager', username: 'nils', role: 'manager' });
    for (let i = 1; i <= 5; i++) {
      ids[`a${i}`] = await makePerson(deps, { name: `Anna Worker ${i}`, username: `anna${i}`, unclaimed: true });
      await addMember(deps, ids.storeA, ids[`a${i}`]!);
    }
    ids.aEmail = await makePerson(deps, { name: 'Alf Mail', username: 'alf', email: 'alf@example.com' });
    await addMember(deps, ids.storeA, ids.aEmail);
    ids.b1 = await makePerson(deps, { name: 'Berit Worker', username: 'berit' });
    await addMember(deps, ids.storeB, ids.b1);
    // In store A but not a member: an admin, another manager, and the manager herself.
    for (const id of [ids.admin, ids.otherManager, ids.manager]) await addMember(deps, ids.storeA, id);
    await addManager(deps, ids.storeA, ids.manager);
    await addManager(deps, ids.storeB, ids.managerB);
    for (const who of ['admin', 'admin2', 'manager', 'managerB', 'a1'])
      cookies[who] = await sessionCookie(deps, ids[who]!);
  });

  afterAll(async () => {
    await app.close();
    await context.close();
  });

  beforeEach(async () => {
    // Each test starts with a fresh hour of the manager's allowance.
    await context.deps.db.deleteFrom('rate_limits').execute();
  });

  it("lists exactly the members of the manager's areas, with a count and pages that agree", async () => {
    const all = await call('manager', 'GET', '/api/v1/people?count=true&limit=3');
    expect(all.statusCode, all.body).toBe(200);
    const first = all.json() as { items: { id: string }[]; nextCursor: string | null; total: { count: number } };
    // Store A: five workers, Alf, the admin, the other manager and Mia herself.
    expect(first.total.count).toBe(9);
    const seen = first.items.map((p) => p.id);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = (await call('manager', 'GET', `/api/v1/people?limit=3&cursor=${cursor}`)).json() as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    }
    const expected = ['a1', 'a2', 'a3', 'a4', 'a5', 'aEmail', 'admin', 'otherManager', 'manager'].map((k) => ids[k]);
    expect(seen.sort()).toEqual(expected.sort());
    const search = (await call('manager', 'GET', '/api/v1/people?q=berit&count=true')).json() as {
      items: unknown[];
      total: { count: number };
    };
    expect(search.items).toEqual([]);
    expect(search.total.count).toBe(0);
    // An admin sees everyone.
    const admin = (await call('admin', 'GET', '/api/v1/people?count=true')).json() as { total: { count: number } };
    expect(admin.total.count).toBe(12);
  });

  it('answers 404 outside the areas (as for a missing id), and 403 for admins, managers and self', async () => {
    const missing = await call('manager', 'GET', '/api/v1/people/00000000-0000-7000-8000-000000000000');
    const outside = await call('manager', 'GET', `/api/v1/people/${ids.b1}`);
    expect(outside.statusCode).toBe(404);
    expect(outside.body).toBe(missing.body);
    for (const url of [`/api/v1/people/${ids.b1}/access-code`]) {
      expect((await call('manager', 'GET', url)).statusCode).toBe(404);
      expect((await call('manager', 'POST', url, {})).body).toBe(
        (await call('manager', 'POST', '/api/v1/people/00000000-0000-7000-8000-000000000000/access-code', {})).body,
      );
      expect((await call('manager', 'DELETE', url)).statusCode).toBe(404);
    }
    for (const target of ['admin', 'otherManager', 'manager']) {
      const url = `/api/v1/people/${ids[target]}/access-code`;
      expect((await call('manager', 'GET', `/api/v1/people/${ids[target]}`)).statusCode).toBe(200);
      expect((await call('manager', 'GET', url)).statusCode).toBe(200);
      expect((await call('manager', 'POST', url, {})).statusCode, target).toBe(403);
      expect((await call('manager', 'DELETE', url)).statusCode, target).toBe(403);
    }
    expect(await auditOf(ids.admin!, 'access_code.issued')).toEqual([]);
  });

  it('issues and deactivates a code for a member of the area, each audit entry naming the area', async () => {
    const issued = await call('manager', 'POST', `/api/v1/people/${ids.a1}/access-code`, {});
    expect(issued.statusCode, issued.body).toBe(201);
    expect(issued.json().code).toMatch(CODE);
    expect(issued.headers['cache-control']).toBe('no-store');
    expect(await auditOf(ids.a1!, 'access_code.issued')).toEqual([{ area_id: ids.storeA }]);
    const state = await call('manager', 'GET', `/api/v1/people/${ids.a1}/access-code`);
    expect(state.json().state).toBe('active');
    expect((await call('manager', 'DELETE', `/api/v1/people/${ids.a1}/access-code`)).statusCode).toBe(204);
    expect(await auditOf(ids.a1!, 'access_code.deactivated')).toEqual([{ area_id: ids.storeA }]);
  });

  it('cannot edit people, import, or use tokens, apps, OIDC clients or bulk deactivation', async () => {
    const refused: [string, string, object | undefined][] = [
      ['POST', '/api/v1/people', { name: 'New', username: 'newbie' }],
      ['PATCH', `/api/v1/people/${ids.a1}`, { name: 'Renamed' }],
      ['POST', '/api/v1/access-codes/bulk-deactivate', { filter: {} }],
      ['GET', '/api/v1/tokens', undefined],
      ['GET', '/api/v1/oidc-clients', undefined],
    ];
    for (const [method, url, payload] of refused) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { cookie: cookies.manager! },
        ...(payload ? { payload } : {}),
      });
      expect([403, 404], `${method} ${url}: ${response.body}`).toContain(response.statusCode);
      if (response.statusCode === 404) expect(response.json().error.message).toMatch(/^No route/);
    }
  });

  it('takes a removal from an area into account on the very next request', async () => {
    const { deps } = context;
    ids.tmpArea = await makeArea(deps, `Pop-up ${dialect}`);
    await addManager(deps, ids.tmpArea, ids.manager!);
    await addMember(deps, ids.tmpArea, ids.b1!);
    expect((await call('manager', 'GET', `/api/v1/people/${ids.b1}`)).statusCode).toBe(200);
    await removeManager(deps, ids.tmpArea, ids.manager!);
    expect((await call('manager', 'GET', `/api/v1/people/${ids.b1}`)).statusCode).toBe(404);
    const list = (await call('manager', 'GET', '/api/v1/people?q=berit')).json() as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it("bulk-issues for the area's members without email only; a bulk over the hourly cap is refused whole", async () => {
    const before = Number(
      (
        await context.deps.db
          .selectFrom('access_codes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    // Cap 6: two singles, then a bulk of five would make seven.
    for (const k of ['a1', 'a2']) {
      expect((await call('manager', 'POST', `/api/v1/people/${ids[k]}/access-code`, {})).statusCode).toBe(201);
    }
    const body = { filter: { hasEmail: false } };
    const over = await call('manager', 'POST', '/api/v1/access-codes/bulk', body, { accept: 'application/json' });
    expect(over.statusCode, over.body).toBe(429);
    expect(over.json().error.code).toBe('manager_code_limit');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    const after = Number(
      (
        await context.deps.db
          .selectFrom('access_codes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(after - before).toBe(2);
    // An hour later the allowance is back; the bulk reaches the five workers and no one else.
    context.clock.advance(HOUR);
    const bulk = await call('manager', 'POST', '/api/v1/access-codes/bulk', body, { accept: 'application/json' });
    expect(bulk.statusCode, bulk.body).toBe(201);
    const items = (bulk.json() as { items: { id: string }[] }).items.map((i) => i.id).sort();
    expect(items).toEqual(['a1', 'a2', 'a3', 'a4', 'a5'].map((k) => ids[k]).sort());
    const batchId = bulk.json().batch.id as string;
    expect((await call('manager', 'GET', `/api/v1/batches/${batchId}`)).statusCode).toBe(200);
    expect((await call('managerB', 'GET', `/api/v1/batches/${batchId}`)).statusCode).toBe(404);
    const withEmail = await call('manager', 'POST', '/api/v1/access-codes/bulk', { filter: { hasEmail: true } });
    expect(withEmail.statusCode).toBe(403);
    // The sixth code of the hour is the last.
    expect((await call('manager', 'POST', `/api/v1/people/${ids.a3}/access-code`, {})).statusCode).toBe(201);
    const refused = await call('manager', 'POST', `/api/v1/people/${ids.a4}/access-code`, {});
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('manager_code_limit');
    // Admins have no such cap.
    expect((await call('admin', 'POST', `/api/v1/people/${ids.a4}/access-code`, {})).statusCode).toBe(201);
  });

  it('holds the hourly cap under a burst of parallel requests, across two instances on PostgreSQL', async () => {
    context.clock.advance(HOUR);
    // PostgreSQL: a second instance (its own app and connection pool) on the same database.
    const second = dialect === 'postgres' ? openDatabase(context.url, { poolSize: 10 }) : null;
    const app2 = second ? await buildApp({ ...context.deps, db: second.db }) : app;
    const targets = ['a1', 'a2', 'a3', 'a4', 'a5'].flatMap((k) => [ids[k]!, ids[k]!]);
    const answers = await Promise.all(
      targets.map((id, i) =>
        (i % 2 === 0 ? app : app2).inject({
          method: 'POST',
          url: `/api/v1/people/${id}/access-code`,
          headers: { cookie: cookies.manager! },
          payload: {},
        }),
      ),
    );
    if (second) {
      await app2.close();
      await second.close();
    }
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // Every person still holds at most one open code (R2), whatever order the burst took.
    const open = await context.deps.db
      .selectFrom('access_codes')
      .select('person_id')
      .where('used_at', 'is', null)
      .where('deactivated_at', 'is', null)
      .where('replaced_at', 'is', null)
      .execute();
    expect(new Set(open.map((r) => r.person_id)).size).toBe(open.length);
  });

  it('reads the audit log of their areas only; an admin filters it by area', async () => {
    const mine = (await call('manager', 'GET', '/api/v1/audit?limit=500')).json() as {
      items: { areaId: string | null }[];
    };
    expect(mine.items.length).toBeGreaterThan(0);
    expect(new Set(mine.items.map((e) => e.areaId))).toEqual(new Set([ids.storeA]));
    const other = await call('manager', 'GET', `/api/v1/audit?area=${ids.storeB}`);
    expect(other.json().items).toEqual([]);
    const admin = (await call('admin', 'GET', `/api/v1/audit?area=${ids.storeA}&limit=500`)).json() as {
      items: { areaId: string | null }[];
    };
    expect(admin.items.length).toBe(mine.items.length);
    const everything = (await call('admin', 'GET', '/api/v1/audit?limit=500')).json() as { items: unknown[] };
    expect(everything.items.length).toBeGreaterThan(admin.items.length);
  });

  it("never includes admins in an admin's bulk issue", async () => {
    const bulk = await call(
      'token',
      'POST',
      '/api/v1/access-codes/bulk',
      // A filter the admins match too (active, as the manager is): they are still left out.
      { filter: { status: 'active' } },
      { accept: 'application/json' },
    );
    expect(bulk.statusCode, bulk.body).toBe(201);
    const got = new Set((bulk.json() as { items: { id: string }[] }).items.map((i) => i.id));
    expect(got.has(ids.admin!)).toBe(false);
    expect(got.has(ids.admin2!)).toBe(false);
    expect(got.has(ids.manager!)).toBe(true);
  });

  it('two-person rule: one admin asks, another approves, the one who asked collects the code once', async () => {
    const url = `/api/v1/people/${ids.admin2}/access-code`;
    expect((await call('token', 'POST', url, {})).json().error.code).toBe('admin_code_needs_approval');
    const key = { 'idempotency-key': 'ask-for-bo-admin-0001' };
    const asked = await call('admin', 'POST', url, {}, key);
    expect(asked.statusCode, asked.body).toBe(202);
    const request = asked.json().request as { id: string; status: string };
    expect(request.status).toBe('pending');
    // A retry with the same Idempotency-Key gets the same request back.
    const again = await call('admin', 'POST', url, {}, key);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().request.id).toBe(request.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await call('admin', 'POST', url, {})).json().error.code).toBe('admin_code_request_open');
    const base = `/api/v1/admin-code-requests/${request.id}`;
    expect((await call('admin', 'POST', `${base}/approve`)).statusCode).toBe(403);
    expect((await call('admin', 'POST', `${base}/code`)).json().error.code).toBe('admin_code_request_closed');
    expect((await call('manager', 'POST', `${base}/approve`)).statusCode).toBe(403);
    const approved = await call('admin2', 'POST', `${base}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().status).toBe('approved');
    expect((await call('admin2', 'POST', `${base}/code`)).statusCode).toBe(403);
    // Two collections at once (a double click, two tabs): exactly one gets a code.
    const both = await Promise.all([call('admin', 'POST', `${base}/code`), call('admin', 'POST', `${base}/code`)]);
    const code = both.find((answer) => answer.statusCode === 201)!;
    expect(both.map((answer) => answer.statusCode).sort()).toEqual([201, 409]);
    expect(code.json().code).toMatch(CODE);
    expect(code.headers['cache-control']).toBe('no-store');
    expect((await call('admin', 'POST', `${base}/code`)).json().error.code).toBe('admin_code_request_closed');
    const steps = await context.deps.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('person_id', '=', ids.admin2!)
      .where('action', 'like', 'admin_code.%')
      .orderBy('id')
      .execute();
    expect(steps).toEqual([
      { action: 'admin_code.requested', actor_id: ids.admin },
      { action: 'admin_code.approved', actor_id: ids.admin2 },
      { action: 'admin_code.issued', actor_id: ids.admin },
    ]);
    // No code is stored for a request, not even encrypted: only the issued code's hash.
    const row = await context.deps.db
      .selectFrom('access_codes')
      .select('code_encrypted')
      .where('person_id', '=', ids.admin2!)
      .executeTakeFirstOrThrow();
    expect(row.code_encrypted).toBeNull();
  });

  it('two-person rule: requests can be declined and expire after 24 hours, audited', async () => {
    const url = `/api/v1/people/${ids.admin}/access-code`;
    const first = (await call('admin2', 'POST', url, {})).json().request as { id: string };
    const declined = await call('admin', 'POST', `/api/v1/admin-code-requests/${first.id}/decline`);
    expect(declined.json().status).toBe('declined');
    const second = (await call('admin2', 'POST', url, {})).json().request as { id: string };
    const listed = (await call('admin', 'GET', '/api/v1/admin-code-requests')).json() as { items: { id: string }[] };
    expect(listed.items.map((r) => r.id)).toContain(second.id);
    context.clock.advance(24 * HOUR);
    for (const who of ['admin', 'admin2']) cookies[who] = await sessionCookie(context.deps, ids[who]!);
    const late = await call('admin', 'POST', `/api/v1/admin-code-requests/${second.id}/approve`);
    expect(late.json().error.code).toBe('admin_code_request_closed');
    expect((await call('admin', 'GET', `/api/v1/admin-code-requests/${second.id}`)).json().status).toBe('expired');
    const actions = (
      await context.deps.db
        .selectFrom('audit_events')
        .select('action')
        .where('person_id', '=', ids.admin!)
        .where('action', 'like', 'admin_code.%')
        .orderBy('id')
        .execute()
    ).map((r) => r.action);
    expect(actions).toEqual([
      'admin_code.requested',
      'admin_code.declined',
      'admin_code.requested',
      'admin_code.expired',
    ]);
  });

  it('with one active admin the rule is off; `keyslip admin create` stays, audited as break glass', async () => {
    await context.deps.db.updateTable('people').set({ status: 'deactivated' }).where('id', '=', ids.admin2!).execute();
    const direct = await call('admin', 'POST', `/api/v1/people/${ids.admin}/access-code`, {});
    expect(direct.statusCode, direct.body).toBe(201);
    await context.deps.db.updateTable('people').set({ status: 'active' }).where('id', '=', ids.admin2!).execute();
    const created = await createAdmin(context.deps, { name: 'Glass', username: 'glass' }, CLI_ACTOR, {
      breakGlass: true,
    });
    const entry = await context.deps.db
      .selectFrom('audit_events')
      .select(['actor_label', 'details'])
      .where('action', '=', 'break_glass.admin_created')
      .where('person_id', '=', created.person.id)
      .executeTakeFirstOrThrow();
    expect(entry.actor_label).toBe('cli');
    expect(JSON.parse(entry.details)).toMatchObject({ username: 'glass', activeAdmins: 2 });
  });
});
