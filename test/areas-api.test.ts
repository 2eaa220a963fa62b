// /api/v1/areas and the `area` filter of people search and bulk issue (SPEC §9), through
// inject(), on every dialect.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, sessionCookieOf } from './helpers/api.js';
import { auditRows, PASSWORD } from './helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

function expectError(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json().error.code).toBe(code);
}

describe.each(DIALECTS)('areas API (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let admin: { authorization: string };
  beforeAll(async () => {
    context = await createTestContext(dialect);
    const api = await createTestApi(context);
    app = api.app;
    admin = api.admin;
  });
  afterAll(async () => {
    await app.close();
    await context.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });

  async function person(name: string, employeeId: string, extra: object = {}): Promise<string> {
    const response = await call('POST', '/api/v1/people', { name, employeeId, ...extra });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().areas).toEqual([]);
    return response.json().id;
  }

  async function area(name: string): Promise<{ id: string; name: string }> {
    const response = await call('POST', '/api/v1/areas', { name });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  it('creates, reads, lists, renames and deletes an area, with 409 on a clash and 400 on a bad name', async () => {
    const created = await area('  Store 21 ');
    expect(created).toMatchObject({ name: 'Store 21', memberCount: 0, managerCount: 0 });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('GET', `/api/v1/areas/${created.id}`)).json()).toEqual(created);
    expectError(await call('POST', '/api/v1/areas', { name: 'store 21' }), 409, 'conflict');
    expectError(await call('POST', '/api/v1/areas', { name: 'a|b' }), 400, 'validation_failed');
    expectError(await call('POST', '/api/v1/areas', { name: 'x'.repeat(101) }), 400, 'validation_failed');
    expectError(await call('POST', '/api/v1/areas', {}), 400, 'validation_failed');

    const renamed = await call('PATCH', `/api/v1/areas/${created.id}`, { name: 'Store 21 Lund' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().name).toBe('Store 21 Lund');
    const listed = await call('GET', '/api/v1/areas?q=lund');
    expect(listed.json()).toEqual({ items: [renamed.json()], nextCursor: null });

    expect((await call('DELETE', `/api/v1/areas/${created.id}`)).statusCode).toBe(204);
    expectError(await call('GET', `/api/v1/areas/${created.id}`), 404, 'not_found');
    expectError(await call('DELETE', `/api/v1/areas/${created.id}`), 404, 'not_found');
    expectError(await call('PATCH', `/api/v1/areas/${created.id}`, { name: 'Gone' }), 404, 'not_found');
    expectError(await call('GET', '/api/v1/areas?cursor=nonsense'), 400, 'validation_failed');
  });

  it('pages areas in name order', async () => {
    for (const name of ['Page C', 'Page A', 'Page B']) await area(name);
    const first = (await call('GET', '/api/v1/areas?q=page&limit=2')).json();
    expect(first.items.map((a: { name: string }) => a.name)).toEqual(['Page A', 'Page B']);
    const second = (await call('GET', `/api/v1/areas?q=page&limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ items: [{ name: 'Page C' }], nextCursor: null });
  });

  it('adds and removes members and managers; a person shows their areas; a member made manager is one', async () => {
    const store = await area('Store 30');
    const anna = await person('Anna Area', 'A30');
    const bo = await person('Bo Area', 'B30');
    expect((await call('PUT', `/api/v1/areas/${store.id}/members/${anna}`)).statusCode).toBe(204);
    expect((await call('PUT', `/api/v1/areas/${store.id}/members/${anna}`)).statusCode).toBe(204);
    expect((await call('PUT', `/api/v1/areas/${store.id}/managers/${bo}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/areas/${store.id}`)).json()).toMatchObject({ memberCount: 1, managerCount: 1 });
    expect((await call('GET', `/api/v1/people/${anna}`)).json().areas).toEqual([{ id: store.id, name: 'Store 30' }]);
    expect((await call('GET', `/api/v1/people/${bo}`)).json()).toMatchObject({ role: 'manager', areas: [] });
    const managers = (await call('GET', `/api/v1/areas/${store.id}/managers`)).json();
    expect(managers).toEqual({
      items: [{ id: bo, name: 'Bo Area', username: null, employeeId: 'B30', role: 'manager', status: 'unclaimed' }],
      nextCursor: null,
    });
    const members = (await call('GET', `/api/v1/areas/${store.id}/members`)).json();
    expect(members.items.map((m: { id: string }) => m.id)).toEqual([anna]);
    const patched = await call('PATCH', `/api/v1/people/${anna}`, { title: 'Cashier' });
    expect(patched.json().areas).toEqual([{ id: store.id, name: 'Store 30' }]);

    expectError(await call('PUT', `/api/v1/areas/${store.id}/members/no-such-person`), 404, 'not_found');
    expectError(await call('PUT', `/api/v1/areas/no-such-area/members/${anna}`), 404, 'not_found');
    expect((await call('DELETE', `/api/v1/areas/${store.id}/members/${anna}`)).statusCode).toBe(204);
    expectError(await call('DELETE', `/api/v1/areas/${store.id}/members/${anna}`), 404, 'not_found');
    expect((await call('DELETE', `/api/v1/areas/${store.id}/managers/${bo}`)).statusCode).toBe(204);
    expectError(await call('DELETE', `/api/v1/areas/${store.id}/managers/${bo}`), 404, 'not_found');
    const rows = (await auditRows(context.deps.db)).filter((r) => r.area_id === store.id);
    expect(rows.map((r) => r.action)).toEqual([
      'area.created',
      'area.member_added',
      'area.manager_added',
      'area.member_removed',
      'area.manager_removed',
    ]);
  });

  it('filters people search, its count and bulk issue by area, exactly as a plain query', async () => {
    const north = await area('Filter North');
    const south = await area('Filter South');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await person(`Filter Person ${String(i).padStart(2, '0')}`, `F${i}`));
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0) await call('PUT', `/api/v1/areas/${north.id}/members/${id}`);
      if (i % 3 === 0) await call('PUT', `/api/v1/areas/${south.id}/members/${id}`);
    }
    for (const target of [north, south]) {
      const plain = await context.deps.db
        .selectFrom('area_members')
        .innerJoin('people', 'people.id', 'area_members.person_id')
        .select('people.id')
        .where('area_members.area_id', '=', target.id)
        // The API's one stable order: newest first (ids are time-ordered).
        .orderBy('people.id', 'desc')
        .execute();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/people?area=${target.id}&limit=2&count=true${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { items: { id: string; areas: unknown[] }[]; nextCursor: string | null; total: unknown } = (
          await call('GET', url)
        ).json();
        expect(page.total).toEqual({ count: plain.length, capped: false });
        for (const item of page.items) expect(item.areas).toContainEqual({ id: target.id, name: target.name });
        seen.push(...page.items.map((item: { id: string }) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(plain.map((row) => row.id));
    }
    // With another filter too: the text and the area both hold.
    const both = (await call('GET', `/api/v1/people?area=${north.id}&q=person 0`)).json();
    expect(both.items.map((i: { name: string }) => i.name)).toEqual([
      'Filter Person 08',
      'Filter Person 06',
      'Filter Person 04',
      'Filter Person 02',
      'Filter Person 00',
    ]);
    expect((await call('GET', '/api/v1/people?area=00000000-0000-7000-8000-000000000000')).json().items).toEqual([]);
    expectError(await call('GET', '/api/v1/people?area=not%20an%20id'), 400, 'validation_failed');

    const bulk = await call('POST', '/api/v1/access-codes/bulk', { filter: { area: south.id } });
    expect(bulk.statusCode, bulk.body).toBe(201);
    const issued = bulk
      .json()
      .items.map((item: { id: string }) => item.id)
      .sort();
    expect(issued).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
  });

  it('is for admins only: a member’s session gets 403, no credentials 401', async () => {
    const id = await person('Member Only', 'M1', { username: 'member.only' });
    const issue = await call('POST', `/api/v1/people/${id}/access-code`);
    const redeem = await app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code: issue.json().code, username: 'member.only', password: PASSWORD },
    });
    const cookie = sessionCookieOf(redeem.headers['set-cookie'])!;
    expectError(await app.inject({ method: 'GET', url: '/api/v1/areas', headers: { cookie } }), 403, 'forbidden');
    expectError(await app.inject({ method: 'GET', url: '/api/v1/areas' }), 401, 'unauthenticated');
    expectError(
      await app.inject({ method: 'POST', url: '/api/v1/areas', payload: { name: 'X' } }),
      401,
      'unauthenticated',
    );
  });
});
