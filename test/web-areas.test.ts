// The Areas pages over inject(): only admins; create, rename, delete (confirmed); members and
// managers added by searching a person and removed; a person's areas on their page; the People
// filter by area; both languages.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAreaManager, createArea, findAreaByName } from '../src/areas/areas.service.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { createPerson, getPerson } from '../src/people/people.service.js';
import type { Person } from '../src/people/person.js';
import { createSession } from '../src/sessions/session.js';
import { createTestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1]!;
}

function textOf(page: string): string {
  return page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe.each(DIALECTS)('Areas pages (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let adminCookie: string;
  let memberCookie: string;
  let anna: Person;
  let bo: Person;

  beforeAll(async () => {
    context = await createTestContext(dialect);
    app = (await createTestApi(context)).app;
    const admin = await createPerson(context.deps, { name: 'Ada Admin', username: 'ada', role: 'admin' }, CLI_ACTOR);
    anna = await createPerson(context.deps, { name: 'Anna Andersson', employeeId: 'E1' }, CLI_ACTOR);
    bo = await createPerson(context.deps, { name: 'Bo Berg', employeeId: 'E2' }, CLI_ACTOR);
    const session = async (id: string): Promise<string> =>
      `keyslip_session=${
        (
          await createSession(context.deps.db, context.deps.config, id, context.clock.now(), {
            ip: null,
            userAgent: null,
          })
        ).token
      }`;
    adminCookie = await session(admin.id);
    memberCookie = await session(anna.id);
  });
  afterAll(async () => {
    await app.close();
    await context.close();
  });

  const get = (url: string, options: { cookie?: string; lang?: string } = {}) =>
    app.inject({
      method: 'GET',
      url,
      headers: { accept: 'text/html', 'accept-language': options.lang ?? 'en', cookie: options.cookie ?? adminCookie },
    });
  /** Posts a form found on `from` (its CSRF token) to `url`. */
  const post = async (from: string, url: string, fields: Record<string, string>) => {
    const page = await get(from);
    return app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: adminCookie },
      payload: new URLSearchParams({ _csrf: csrfOf(page.body), ...fields }).toString(),
    });
  };

  it('are for admins only, and the nav links to them next to People in both languages', async () => {
    expect((await get('/admin/areas', { cookie: memberCookie })).statusCode).toBe(403);
    const en = await get('/admin/areas');
    expect(en.statusCode).toBe(200);
    expect(en.body).toMatch(/href="\/admin\/people">People<\/a><\/li><li><a href="\/admin\/areas" aria-current="page"/);
    const sv = await get('/admin/areas', { lang: 'sv' });
    expect(textOf(sv.body)).toContain('Områden');
    expect(textOf(sv.body)).toContain('Skapa område');
  });

  it('create, refuse a clash with a message on the field, rename, and delete after confirming', async () => {
    const created = await post('/admin/areas', '/admin/areas', { name: 'Store 40' });
    expect(created.statusCode).toBe(303);
    const area = (await findAreaByName(context.deps.db, 'store 40'))!;
    expect(created.headers.location).toBe(`/admin/areas/${area.id}?done=created`);
    expect(textOf((await get(created.headers.location!)).body)).toContain('The area was created.');

    const clash = await post('/admin/areas', '/admin/areas', { name: 'STORE 40' });
    expect(clash.statusCode).toBe(400);
    expect(textOf(clash.body)).toContain('An area with that name already exists.');
    expect(clash.body).toContain('aria-invalid="true"');

    const renamed = await post(`/admin/areas/${area.id}`, `/admin/areas/${area.id}`, { name: 'Store 40 Lund' });
    expect(renamed.headers.location).toBe(`/admin/areas/${area.id}?done=renamed`);
    const list = await get('/admin/areas');
    expect(textOf(list.body)).toContain('Store 40 Lund');

    const confirm = await get(`/admin/areas/${area.id}/delete`);
    expect(textOf(confirm.body)).toContain('Delete the area Store 40 Lund?');
    const deleted = await post(`/admin/areas/${area.id}/delete`, `/admin/areas/${area.id}/delete`, {});
    expect(deleted.headers.location).toBe('/admin/areas?done=deleted');
    expect(await findAreaByName(context.deps.db, 'Store 40 Lund')).toBeNull();
    expect((await get(`/admin/areas/${area.id}`)).statusCode).toBe(404);
  });

  it('adds a member and a manager found by search, lists them, and removes them', async () => {
    const area = await createArea(context.deps, 'Ward 41', CLI_ACTOR);
    const found = await get(`/admin/areas/${area.id}?find=berg`);
    expect(textOf(found.body)).toContain('Bo Berg');
    expect(found.body).toContain('aria-label="Add Bo Berg as member"');
    expect(textOf(found.body)).not.toContain('Anna Andersson');

    const page = `/admin/areas/${area.id}?find=berg`;
    const added = await post(page, `/admin/areas/${area.id}/members`, { personId: bo.id, find: 'berg' });
    expect(added.headers.location).toBe(`/admin/areas/${area.id}?find=berg&done=member-added#add-people`);
    await post(page, `/admin/areas/${area.id}/managers`, { personId: anna.id });
    const shown = await get(`/admin/areas/${area.id}`);
    expect(textOf(shown.body)).toContain('Members: 1 · Managers: 1');
    expect(shown.body).toContain('aria-label="Remove Bo Berg from the members"');
    expect(shown.body).toContain('aria-label="Remove Anna Andersson from the managers"');
    expect(textOf(shown.body)).toContain('(Manager)');

    const filtered = await get(`/admin/people?area=${area.id}`);
    expect(textOf(filtered.body)).toContain('Bo Berg');
    expect(textOf(filtered.body)).not.toContain('Anna Andersson');
    expect(textOf(filtered.body)).toContain('area: Ward 41');
    // "Get access codes" for the area's selection names the area and counts its people.
    const confirm = textOf((await get(`/admin/access-codes/issue?area=${area.id}&selection=1`)).body);
    expect(confirm).toContain('1 person');
    expect(confirm).toContain('area: Ward 41');

    const removed = await post(`/admin/areas/${area.id}`, `/admin/areas/${area.id}/members/${bo.id}/remove`, {});
    expect(removed.headers.location).toBe(`/admin/areas/${area.id}?done=member-removed`);
    await post(`/admin/areas/${area.id}`, `/admin/areas/${area.id}/managers/${anna.id}/remove`, {});
    expect(textOf((await get(`/admin/areas/${area.id}`)).body)).toContain('Members: 0 · Managers: 0');
  });

  it('a person’s page shows their areas and adds (by name) and removes one', async () => {
    const area = await createArea(context.deps, 'Depot 42', CLI_ACTOR);
    const personPage = `/admin/people/${bo.id}`;
    expect(textOf((await get(personPage)).body)).toContain('Not in any area.');
    const added = await post(personPage, `${personPage}/areas`, { area: 'depot 42' });
    expect(added.headers.location).toBe(`${personPage}?done=area-added#areas`);
    const shown = await get(`${personPage}?done=area-added`);
    expect(textOf(shown.body)).toContain('Added to the area.');
    expect(shown.body).toContain(`href="/admin/areas/${area.id}">Depot 42</a>`);

    const unknown = await post(personPage, `${personPage}/areas`, { area: 'Nowhere' });
    const refused = await get(unknown.headers.location!.replace('#areas', ''));
    expect(textOf(refused.body)).toContain('There is no area named "Nowhere".');

    const removed = await post(personPage, `${personPage}/areas/${area.id}/remove`, {});
    expect(removed.headers.location).toBe(`${personPage}?done=area-removed#areas`);
    expect(textOf((await get(personPage)).body)).toContain('Not in any area.');
  });

  it('a manager’s page shows the Manager role, and saving the form keeps it', async () => {
    const area = await createArea(context.deps, 'Store 43', CLI_ACTOR);
    await addAreaManager(context.deps, area.id, bo.id, CLI_ACTOR);
    const personPage = `/admin/people/${bo.id}`;
    expect((await get(personPage)).body).toMatch(/value="manager" checked/);
    const saved = await post(personPage, personPage, { name: 'Bo Berg', employeeId: 'E2', role: 'manager' });
    expect(saved.statusCode).toBe(303);
    expect((await getPerson(context.deps, bo.id))?.role).toBe('manager');
  });
});
