// What an HR integration relies on (issue 15): exact lookups and incremental sync, one stable order
// with opaque cursors, ETag/If-Match, Idempotency-Key on single creates and issues, and the leaver
// and rehire lifecycle (reactivate, erase) — on every dialect, with the injected clock.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, MINUTE } from '../src/lib/clock.js';
import { createTestApi, sessionCookieOf } from './helpers/api.js';
import { PASSWORD, auditRows, sessionCount } from './helpers/core.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

type Json = Record<string, unknown>;

describe.each(DIALECTS)('the API for integrations (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let admin: { authorization: string };
  beforeEach(async () => {
    context = await createTestContext(dialect);
    const api = await createTestApi(context);
    app = api.app;
    admin = api.admin;
  });
  afterEach(async () => {
    await app.close();
    await context.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options: Json = {}) =>
    app.inject({
      method,
      url,
      headers: { ...admin, ...(options.headers as Json) },
      ...(options.payload ? { payload: options.payload as Json } : {}),
    });
  const create = async (body: Json): Promise<Json> => {
    const response = await call('POST', '/api/v1/people', { payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };
  const errorOf = (response: LightMyRequestResponse): string => response.json().error.code;
  const names = (response: LightMyRequestResponse): string[] =>
    (response.json().items as { name: string }[]).map((p) => p.name);

  /** Claims a person's account with a code: their session cookie. */
  async function claim(id: string, username: string): Promise<string> {
    const code = (await call('POST', `/api/v1/people/${id}/access-code`)).json().code as string;
    const redeemed = await app.inject({
      method: 'POST',
      url: '/api/v1/access-code/redeem',
      payload: { code, username, password: PASSWORD },
    });
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    return sessionCookieOf(redeemed.headers['set-cookie'])!;
  }

  it('finds people exactly by employee id, username or email, and by updatedSince', async () => {
    for (const id of ['E100', 'E1001', 'E1002']) await create({ name: `Worker ${id}`, employeeId: id });
    await create({ name: 'Ada', username: 'ada.l', email: 'Ada@Example.com' });
    expect(names(await call('GET', '/api/v1/people?q=E100'))).toHaveLength(3);
    expect(names(await call('GET', '/api/v1/people?employeeId=E100'))).toEqual(['Worker E100']);
    expect(names(await call('GET', '/api/v1/people?employeeId=E10'))).toEqual([]);
    expect(names(await call('GET', '/api/v1/people?username=ADA.L'))).toEqual(['Ada']);
    expect(names(await call('GET', '/api/v1/people?email=ada@example.COM'))).toEqual(['Ada']);
    const since = new Date(context.clock.now() + MINUTE).toISOString();
    context.clock.advance(2 * MINUTE);
    const e1001 = (await call('GET', '/api/v1/people?employeeId=E1001')).json().items[0] as Json;
    await call('PATCH', `/api/v1/people/${e1001.id as string}`, { payload: { title: 'Lead' } });
    expect(names(await call('GET', `/api/v1/people?updatedSince=${encodeURIComponent(since)}`))).toEqual([
      'Worker E1001',
    ]);
    const unknown = await call('GET', '/api/v1/people?sort=name');
    expect(unknown.json().error.fields).toEqual([{ field: 'sort', message: 'is not a known field' }]);
    const badEnum = await call('POST', '/api/v1/access-codes/bulk', { payload: { filter: { status: 'gone' } } });
    expect(badEnum.json().error.fields).toEqual([
      { field: 'filter.status', message: 'must be one of: unclaimed, active, deactivated' },
    ]);
    const bad = await call('GET', '/api/v1/people?updatedSince=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields[0].field).toBe('updatedSince');
  });

  it('pages newest first whatever the filter, with cursors that carry no name', async () => {
    for (const name of ['Cleo Larsson', 'Axel Larsson', 'Bea Larsson', 'Dan Larsson', 'Eva Larsson']) {
      await create({ name, username: name.split(' ')[0]!.toLowerCase() });
      context.clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/people?q=larsson&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: LightMyRequestResponse = await call('GET', url);
      seen.push(...names(page));
      cursor = page.json().nextCursor;
      if (cursor) {
        const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
        // Whole words: a person's id is hex, and "bea" may well be part of it.
        expect(decoded).not.toMatch(/\b(larsson|axel|bea|cleo|dan|eva)\b/i);
      }
    } while (cursor);
    // Newest first, as created, whatever the number of matches.
    expect(seen).toEqual(['Eva Larsson', 'Dan Larsson', 'Bea Larsson', 'Axel Larsson', 'Cleo Larsson']);
    const all = names(await call('GET', '/api/v1/people?limit=10'));
    expect(all).toEqual(['Eva Larsson', 'Dan Larsson', 'Bea Larsson', 'Axel Larsson', 'Cleo Larsson']);
  });

  it('answers a person with an ETag and refuses a stale If-Match with 412', async () => {
    const ann = await create({ name: 'Ann', username: 'ann' });
    const url = `/api/v1/people/${ann.id as string}`;
    const read = await call('GET', url);
    const etag = read.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect((await call('GET', url)).headers.etag).toBe(etag);
    const edited = await call('PATCH', url, { payload: { title: 'Cook' }, headers: { 'if-match': etag } });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.headers.etag).not.toBe(etag);
    expect((await call('GET', url)).headers.etag).toBe(edited.headers.etag);
    const stale = await call('PATCH', url, { payload: { title: 'Baker' }, headers: { 'if-match': etag } });
    expect(stale.statusCode).toBe(412);
    expect(errorOf(stale)).toBe('precondition_failed');
    expect((await call('GET', url)).json().title).toBe('Cook');
    const any = await call('PATCH', url, { payload: { title: 'Baker' }, headers: { 'if-match': '*' } });
    expect(any.statusCode).toBe(200);
    expect((await call('PATCH', url, { payload: { title: 'Chef' } })).statusCode).toBe(200);
  });

  it('replays a create with the same Idempotency-Key, refuses the key for another body (422)', async () => {
    const headers = { 'idempotency-key': 'hr-row-17' };
    const first = await call('POST', '/api/v1/people', { payload: { name: 'Bo', employeeId: 'B1' }, headers });
    expect(first.statusCode).toBe(201);
    expect(first.headers.location).toBe(`/api/v1/people/${first.json().id}`);
    const again = await call('POST', '/api/v1/people', { payload: { name: 'Bo', employeeId: 'B1' }, headers });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const other = await call('POST', '/api/v1/people', { payload: { name: 'Cy', employeeId: 'C1' }, headers });
    expect(other.statusCode).toBe(422);
    expect(errorOf(other)).toBe('idempotency_conflict');
    // A failed request keeps nothing: the key can be used again once the request is right.
    const failedKey = { 'idempotency-key': 'hr-row-18' };
    const clash = await call('POST', '/api/v1/people', {
      payload: { name: 'Dup', employeeId: 'B1' },
      headers: failedKey,
    });
    expect(clash.statusCode).toBe(409);
    const fixed = await call('POST', '/api/v1/people', {
      payload: { name: 'Dup', employeeId: 'B2' },
      headers: failedKey,
    });
    expect(fixed.statusCode).toBe(201);
    const people = await context.deps.db.selectFrom('people').select('id').execute();
    expect(people).toHaveLength(2);
  });

  it('replays a single issue with its code (never stored readable), then 410 after the download window', async () => {
    const eve = await create({ name: 'Eve', employeeId: 'E5' });
    const url = `/api/v1/people/${eve.id as string}/access-code`;
    const headers = { 'idempotency-key': 'print-run-1' };
    const first = await call('POST', url, { headers });
    expect(first.statusCode).toBe(201);
    const code = first.json().code as string;
    const again = await call('POST', url, { headers });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().code).toBe(code);
    const check = await app.inject({ method: 'POST', url: '/api/v1/access-code/check', payload: { code } });
    expect(check.statusCode).toBe(200); // the retry did not replace the code
    const stored = await context.deps.db.selectFrom('api_idempotency').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(JSON.stringify(stored)).not.toContain(code.replaceAll('-', ''));
    context.clock.advance(context.deps.config.batchMinutes * MINUTE);
    const late = await call('POST', url, { headers });
    expect(late.statusCode).toBe(410);
    expect(late.headers['idempotent-replayed']).toBe('true');
    expect(late.body).not.toContain(code);
    const erased = await context.deps.db.selectFrom('api_idempotency').select('answer').execute();
    expect(erased).toEqual([{ answer: null }]);
    context.clock.advance(25 * HOUR);
    expect((await call('POST', url, { headers })).statusCode).toBe(201); // the key has expired: a new issue
  });

  it('takes a POST without a body also when it says application/json; other content types are 415', async () => {
    const ann = await create({ name: 'Ann', username: 'ann' });
    const url = `/api/v1/people/${ann.id as string}/deactivate`;
    const empty = await app.inject({ method: 'POST', url, headers: { ...admin, 'content-type': 'application/json' } });
    expect(empty.statusCode, empty.body).toBe(200);
    const broken = await app.inject({
      method: 'POST',
      url: '/api/v1/people',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(errorOf(broken)).toBe('bad_request');
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/merge-patch+json']) {
      const other = await app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: { ...admin, 'content-type': type },
        payload: 'name=x',
      });
      expect(other.statusCode, type).toBe(415);
    }
  });

  it('reactivates a rehire: unclaimed if never claimed; else active without the old password', async () => {
    const never = await create({ name: 'New Hire', employeeId: 'R1' });
    const back = await create({ name: 'Back Again', employeeId: 'R2', username: 'back' });
    const cookie = await claim(back.id as string, 'back');
    for (const person of [never, back]) {
      expect((await call('POST', `/api/v1/people/${person.id as string}/deactivate`)).statusCode).toBe(200);
    }
    expect(await sessionCount(context.deps.db, back.id as string)).toBe(0);
    const rehire = await call('POST', '/api/v1/people', { payload: { name: 'New Hire', employeeId: 'R1' } });
    expect(errorOf(rehire)).toBe('employee_id_taken');
    const first = await call('POST', `/api/v1/people/${never.id as string}/reactivate`);
    expect(first.json()).toMatchObject({ id: never.id, status: 'unclaimed', employeeId: 'R1' });
    const second = await call('POST', `/api/v1/people/${back.id as string}/reactivate`);
    expect(second.json()).toMatchObject({ id: back.id, status: 'active', username: 'back', employeeId: 'R2' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
    const oldPassword = await app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { username: 'back', password: PASSWORD },
    });
    expect(oldPassword.statusCode).toBe(401);
    await claim(back.id as string, 'back'); // a recovery code brings them back
    const again = await call('POST', `/api/v1/people/${back.id as string}/reactivate`);
    expect(again.json().status).toBe('active'); // not deactivated: answered as is
    const entries = await auditRows(context.deps.db, { action: 'person.reactivated' });
    expect(entries.map((e) => e.person_id).sort()).toEqual([never.id, back.id].sort());
  });

  it('erases a person on confirmed request: data gone, sessions ended, audit kept and scrubbed', async () => {
    const gil = await create({ name: 'Gil Gone', username: 'gil', email: 'gil@example.com', employeeId: 'G7' });
    const id = gil.id as string;
    await call('PATCH', `/api/v1/people/${id}`, { payload: { email: 'gil.gone@example.com', department: 'Dock 9' } });
    await claim(id, 'gil');
    expect(await sessionCount(context.deps.db, id)).toBe(1);
    const bulk = await call('POST', '/api/v1/access-codes/bulk', { payload: { filter: { employeeId: 'G7' } } });
    expect(bulk.statusCode, bulk.body).toBe(201);

    const unconfirmed = await call('DELETE', `/api/v1/people/${id}`);
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.json().error.fields[0].field).toBe('confirm');
    const erased = await call('DELETE', `/api/v1/people/${id}?confirm=erase`);
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json()).toMatchObject({
      id,
      name: 'Erased person',
      username: null,
      email: null,
      employeeId: null,
      department: null,
      status: 'deactivated',
    });
    expect(await sessionCount(context.deps.db, id)).toBe(0);
    const row = await context.deps.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toMatch(/gil|dock 9|G7/i);

    const entries = await auditRows(context.deps.db, { personId: id });
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['person.created', 'person.updated', 'access_code.issued', 'person.erased']),
    );
    const everything = JSON.stringify(await auditRows(context.deps.db));
    expect(everything).not.toMatch(/gil@example|gil\.gone|dock 9|G7|Gil Gone/i);
    const batches = await context.deps.db.selectFrom('batches').select('filter').execute();
    // The batch's filter as stored (bulk issue adds the roles it may reach: never admins), scrubbed.
    expect(batches.map((b) => JSON.parse(b.filter))).toEqual([
      { employeeId: '[erased]', roles: ['member', 'manager'] },
    ]);
    // Their own doings lose the address; an admin's (a token's here) keep theirs.
    for (const entry of entries) expect(entry.ip === null || entry.actor_label.startsWith('token:')).toBe(true);
    expect(entries.find((e) => e.action === 'access_code.redeemed')?.ip ?? null).toBeNull();

    expect(errorOf(await call('PATCH', `/api/v1/people/${id}`, { payload: { username: 'gil2' } }))).toBe(
      'person_erased',
    );
    expect(errorOf(await call('POST', `/api/v1/people/${id}/reactivate`))).toBe('person_erased');
    expect((await call('DELETE', `/api/v1/people/${id}?confirm=erase`)).statusCode).toBe(200);
    expect(await auditRows(context.deps.db, { action: 'person.erased' })).toHaveLength(1);
    // The identifiers are free again, for someone else.
    await create({ name: 'New Gil', username: 'gil', employeeId: 'G7' });
  });

  it('never erases the last admin, and a member may not erase anyone', async () => {
    const boss = await create({ name: 'Boss', username: 'boss', role: 'admin' });
    const member = await create({ name: 'Mem', username: 'mem' });
    const cookie = await claim(member.id as string, 'mem');
    const byMember = await app.inject({
      method: 'DELETE',
      url: `/api/v1/people/${boss.id as string}?confirm=erase`,
      headers: { cookie },
    });
    expect(byMember.statusCode).toBe(403);
    expect((await call('DELETE', `/api/v1/people/${boss.id as string}?confirm=erase`)).statusCode).toBe(409);
    expect((await call('GET', `/api/v1/people/${boss.id as string}`)).json().name).toBe('Boss');
  });
});
