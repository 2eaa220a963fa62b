// The admin pages over inject(): only admins get in, the contract labels in both languages, CSRF
// on every form, one access code issued once and shown once (no-store, never in a URL), the bulk
// confirmation's count and idempotent submit, the CSV and PDF downloads and their window, the
// person form's errors, bulk deactivation and the audit log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { ALPHABET } from '../src/access-codes/access-code.js';
import { issueAccessCode } from '../src/access-codes/access-codes.service.js';
import { LABELS } from '../src/http/labels.js';
import { MINUTE } from '../src/lib/clock.js';
import { createPerson } from '../src/people/people.service.js';
import type { Person } from '../src/people/person.js';
import { createSession } from '../src/sessions/session.js';
import { createTestApi } from './helpers/api.js';
import { openPdf, pageText } from './helpers/pdf.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { peopleCount } from '../src/web/admin.views.js';

const CODE = new RegExp(`[${ALPHABET}]{4}-[${ALPHABET}]{4}-[${ALPHABET}]{4}-[${ALPHABET}]{4}`);

interface Jar {
  cookies: Map<string, string>;
  lang?: 'en' | 'sv';
}

function cookieHeader(jar: Jar): string {
  return [...jar.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

function remember(jar: Jar, setCookie: string | string[] | undefined): void {
  for (const cookie of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const match = /^([^=]+)=([^;]*)/.exec(cookie);
    if (!match) continue;
    if (match[2] === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(cookie)) jar.cookies.delete(match[1]!);
    else jar.cookies.set(match[1]!, match[2]!);
  }
}

function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1]!;
}

function hiddenOf(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no ${name} field on the page`);
  return match[1]!
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');
}

function text(page: string): string {
  return page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

it('shows a capped count as "10,000+"', () => {
  expect(peopleCount('en', 10_000, true)).toBe('10,000+ people');
  expect(peopleCount('sv', 10_000, true)).toMatch(/^10\s000\+ personer$/);
  expect(peopleCount('en', 1)).toBe('1 person');
  expect(peopleCount('en', 1234)).toBe('1,234 people');
});

describe.each(DIALECTS)('admin pages (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let adminToken: string;
  let admin: Jar;
  let member: Jar;
  let people: Record<'noEmail1' | 'noEmail2' | 'formula' | 'withEmail' | 'gone', Person>;

  async function get(jar: Jar, url: string, headers: Record<string, string> = {}) {
    const response = await app.inject({
      method: 'GET',
      url,
      headers: { accept: 'text/html', 'accept-language': jar.lang ?? 'en', cookie: cookieHeader(jar), ...headers },
    });
    remember(jar, response.headers['set-cookie']);
    return response;
  }

  async function post(jar: Jar, url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'accept-language': jar.lang ?? 'en',
        cookie: cookieHeader(jar),
        ...headers,
      },
      payload: new URLSearchParams(fields).toString(),
    });
    remember(jar, response.headers['set-cookie']);
    return response;
  }

  async function sessionJar(personId: string): Promise<Jar> {
    const session = await createSession(context.deps.db, context.deps.config, personId, context.clock.now(), {
      ip: null,
      userAgent: null,
    });
    return { cookies: new Map([['keyslip_session', session.token]]) };
  }

  async function count(
    table: 'access_codes' | 'batches' | 'audit_events',
    where: { action?: string; personId?: string } = {},
  ): Promise<number> {
    let query = context.deps.db
      .selectFrom(table as 'audit_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (where.action) query = query.where('action', '=', where.action);
    if (where.personId)
      query = query.where(table === 'access_codes' ? ('person_id' as 'action') : 'person_id', '=', where.personId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  beforeAll(async () => {
    context = await createTestContext(dialect);
    ({ app, adminToken } = await createTestApi(context));
    const { deps } = context;
    const anna = await createPerson(
      deps,
      { name: 'Anna Admin', username: 'anna.admin', email: 'anna@example.com', role: 'admin' },
      CLI_ACTOR,
    );
    const worker = await createPerson(
      deps,
      { name: 'Walter Worker', username: 'walter.w', email: 'walter@example.com' },
      CLI_ACTOR,
    );
    people = {
      noEmail1: await createPerson(
        deps,
        { name: 'Bo Ek', employeeId: 'E-1', department: 'Kitchen', location: 'Malmö' },
        CLI_ACTOR,
      ),
      noEmail2: await createPerson(
        deps,
        { name: 'Sven Svensson', username: 'sven.s', department: 'Kitchen', location: 'Lund' },
        CLI_ACTOR,
      ),
      formula: await createPerson(
        deps,
        { name: '=1+2 Formula', username: 'formula.f', department: 'Warehouse' },
        CLI_ACTOR,
      ),
      withEmail: await createPerson(
        deps,
        { name: 'Dana Email', email: 'dana@example.com', department: 'Office' },
        CLI_ACTOR,
      ),
      gone: await createPerson(deps, { name: 'Gone Person', username: 'gone.p' }, CLI_ACTOR),
    };
    const { deactivatePerson } = await import('../src/accounts/deactivate-person.js');
    await deactivatePerson(deps, people.gone.id, CLI_ACTOR);
    admin = await sessionJar(anna.id);
    member = await sessionJar(worker.id);
  });
  afterAll(async () => {
    await app?.close();
    await context?.close();
  });
  beforeEach(() => {
    admin.lang = 'en';
  });

  it('needs an admin: no session → /login, a member → 403, an API token is no page session', async () => {
    const anonymous = await get({ cookies: new Map() }, '/admin/people?hasEmail=false');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/login?next=%2Fadmin%2Fpeople%3FhasEmail%3Dfalse');

    const asMember = await get(member, '/admin/people');
    expect(asMember.statusCode).toBe(403);
    expect(asMember.headers['content-type']).toMatch(/^text\/html/);
    expect(asMember.body).not.toContain(people.noEmail1.name);

    const memberPost = await post(member, `/admin/people/${people.noEmail1.id}/access-code`, {
      _csrf: csrfOf((await get(member, '/')).body),
    });
    expect(memberPost.statusCode).toBe(403);
    expect(await count('access_codes', { personId: people.noEmail1.id })).toBe(0);

    const withToken = await app.inject({
      method: 'GET',
      url: '/admin/people',
      headers: { accept: 'text/html', authorization: `Bearer ${adminToken}` },
    });
    expect(withToken.statusCode).toBe(303);

    for (const url of [
      '/admin/audit',
      `/admin/people/${people.noEmail1.id}`,
      '/admin/access-codes/issue',
      '/admin/people/import',
    ]) {
      expect((await get(member, url)).statusCode, url).toBe(403);
    }
  });

  it('shows the contract labels in English and Swedish, and every admin page is never cached', async () => {
    for (const lang of ['en', 'sv'] as const) {
      admin.lang = lang;
      const L = LABELS[lang];
      const list = await get(admin, '/admin/people');
      expect(list.statusCode).toBe(200);
      expect(list.headers['cache-control']).toBe('no-store');
      expect(list.body).toContain(`<html lang="${lang}">`);
      const body = text(list.body);
      for (const label of [L.people, L.moreOptions, L.getAccessCodes, L.getAccessCode, L.auditLog])
        expect(body, label).toContain(label);
      expect(list.body).toContain('aria-haspopup="menu"');
      expect(list.body).toContain('aria-expanded="false"');
      const audit = await get(admin, '/admin/audit');
      expect(text(audit.body)).toContain(`${L.auditLog}`);
      expect(audit.headers['cache-control']).toBe('no-store');
    }
    // "Deactivate access code" appears in the row menu only while a code is active.
    admin.lang = 'sv';
    const item = `>${LABELS.sv.deactivateAccessCode}</a>`;
    expect((await get(admin, '/admin/people?q=dana')).body).not.toContain(item);
    await issueAccessCode(context.deps, { personId: people.withEmail.id, actor: CLI_ACTOR });
    const withCode = (await get(admin, '/admin/people?q=dana')).body;
    expect(withCode).toContain(item);
    expect(text(withCode)).toContain('Aktiv till');
  });

  it('filters, counts and pages the directory, and answers the search-as-you-type fragment', async () => {
    const noEmail = await get(admin, '/admin/people?hasEmail=false');
    // Without email: Bo, Sven, the formula person and the deactivated one.
    expect(text(noEmail.body)).toContain('4 people');
    expect(text((await get(admin, '/admin/people?hasEmail=false&status=deactivated')).body)).toContain('1 person');
    expect(text((await get(admin, '/admin/people?department=Kitchen&location=Lund')).body)).toContain('1 person');
    // Unknown filter values are ignored, not errors.
    expect((await get(admin, '/admin/people?status=bogus&codeState=x')).statusCode).toBe(200);

    const fragment = await get(admin, '/admin/people?q=sven', { 'x-keyslip-fragment': 'people' });
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain('id="people-count"');
    expect(text(fragment.body)).toContain('Sven Svensson');
    expect(text(fragment.body)).not.toContain('Bo Ek');

    // Keyset paging: 2 pages of 50 for 60 more people.
    for (let i = 0; i < 60; i++)
      await createPerson(
        context.deps,
        { name: `Zz Pager ${String(i).padStart(2, '0')}`, email: `pager${i}@example.com` },
        CLI_ACTOR,
      );
    const first = await get(admin, '/admin/people?q=zz%20pager');
    expect(text(first.body)).toContain('60 people');
    const next = /href="([^"]+cursor=[^"]+)" rel="next"/.exec(first.body)![1]!.replace(/&amp;/g, '&');
    const second = await get(admin, next);
    expect(text(second.body)).toContain('Zz Pager 59');
    expect(text(second.body)).not.toContain('Zz Pager 00');
    expect(second.body).not.toContain('rel="next"');
  });

  it('refuses a POST without _csrf, with a wrong one, or from another origin, and issues nothing', async () => {
    const url = `/admin/people/${people.noEmail1.id}/access-code`;
    const csrf = csrfOf((await get(admin, url)).body);
    const before = await count('access_codes', { personId: people.noEmail1.id });
    for (const [fields, headers] of [
      [{}, {}],
      [{ _csrf: 'forged' }, {}],
      [{ _csrf: csrfOf((await get(member, '/')).body) }, {}],
      [{ _csrf: csrf }, { origin: 'https://evil.example' }],
      [{ _csrf: csrf }, { 'sec-fetch-site': 'cross-site' }],
    ] as [Record<string, string>, Record<string, string>][]) {
      const response = await post(admin, url, fields, headers);
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
    for (const path of [
      '/admin/access-codes/issue',
      '/admin/access-codes/deactivate',
      '/admin/people/new',
      `/admin/people/${people.noEmail1.id}/deactivate`,
    ]) {
      expect((await post(admin, path, { hasEmail: 'false', name: 'X Y', employeeId: 'x-1' })).statusCode, path).toBe(
        403,
      );
    }
    expect(await count('access_codes', { personId: people.noEmail1.id })).toBe(before);
    expect(await count('batches')).toBe(0);
  });

  it('"Get access code" issues once, and the code is shown once, with no-store, never in a URL', async () => {
    const target = people.noEmail2;
    const confirm = await get(admin, `/admin/people/${target.id}/access-code?return=%2Fadmin%2Fpeople%3Fq%3Dsven`);
    expect(confirm.statusCode).toBe(200);
    expect(text(confirm.body)).toContain('90 days (the longest allowed)');
    expect(text(confirm.body)).toContain('24 hours');
    expect(confirm.body).not.toMatch(CODE);
    expect(await count('access_codes', { personId: target.id })).toBe(0);

    const issued = await post(admin, `/admin/people/${target.id}/access-code`, {
      _csrf: csrfOf(confirm.body),
      lifetimeHours: '24',
      return: '/admin/people?q=sven',
    });
    expect(issued.statusCode).toBe(303);
    expect(issued.headers['cache-control']).toBe('no-store');
    const location = issued.headers.location as string;
    expect(location).toBe(`/admin/people/${target.id}/access-code/shown?return=%2Fadmin%2Fpeople%3Fq%3Dsven`);
    expect(issued.body).not.toMatch(CODE);
    const setCookie = String(issued.headers['set-cookie']);
    expect(setCookie).toMatch(/^keyslip_shown_code=/);
    expect(setCookie).toContain(`Path=/admin/people/${target.id}/access-code`);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toMatch(CODE);
    expect(await count('access_codes', { personId: target.id })).toBe(1);
    expect(await count('audit_events', { action: 'access_code.issued', personId: target.id })).toBe(1);

    const stolenCookie = admin.cookies.get('keyslip_shown_code')!;
    const shown = await get(admin, location);
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['cache-control']).toBe('no-store');
    const code = CODE.exec(shown.body)![0];
    expect(text(shown.body)).toContain('This code is shown only once');
    expect(text(shown.body)).toContain('Valid until');
    expect(shown.body).toContain(`data-code="${code}"`);
    expect(shown.body).toContain('data-copy-code="access-code"');
    expect(shown.body).toContain('data-print');
    expect(shown.body).toContain('src="data:image/png;base64,');
    // The GET that shows the code clears the cookie.
    expect(String(shown.headers['set-cookie'])).toMatch(/keyslip_shown_code=;/);
    expect(admin.cookies.has('keyslip_shown_code')).toBe(false);
    // 24 hours, as chosen.
    const row = await context.deps.db
      .selectFrom('access_codes')
      .select(['created_at', 'expires_at'])
      .where('person_id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(24 * 60 * MINUTE);

    // A reload shows "no longer shown", never the code, and issues nothing.
    const again = await get(admin, location);
    expect(again.statusCode).toBe(200);
    expect(again.body).not.toContain(code);
    expect(text(again.body)).toContain('The access code is no longer shown');
    expect(await count('access_codes', { personId: target.id })).toBe(1);

    // The sealed cookie is bound to the session that issued it, and goes stale.
    const otherAdminJar = await sessionJar(
      (
        await context.deps.db
          .selectFrom('people')
          .select('id')
          .where('username', '=', 'anna.admin')
          .executeTakeFirstOrThrow()
      ).id,
    );
    otherAdminJar.cookies.set('keyslip_shown_code', stolenCookie);
    expect((await get(otherAdminJar, location)).body).not.toContain(code);
    admin.cookies.set('keyslip_shown_code', stolenCookie);
    context.clock.advance(3 * MINUTE);
    expect((await get(admin, location)).body).not.toContain(code);
  });

  it('deactivates one access code after a confirmation', async () => {
    await issueAccessCode(context.deps, { personId: people.noEmail1.id, actor: CLI_ACTOR });
    const confirm = await get(
      admin,
      `/admin/people/${people.noEmail1.id}/access-code/deactivate?return=%2Fadmin%2Fpeople`,
    );
    expect(text(confirm.body)).toContain(LABELS.en.deactivateAccessCode);
    const done = await post(admin, `/admin/people/${people.noEmail1.id}/access-code/deactivate`, {
      _csrf: csrfOf(confirm.body),
      return: '/admin/people',
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/admin/people?done=code-deactivated');
    expect(text((await get(admin, done.headers.location as string)).body)).toContain(
      'The access code was deactivated.',
    );
    expect(await count('audit_events', { action: 'access_code.deactivated', personId: people.noEmail1.id })).toBe(1);
    // An outside "return" address is not followed.
    const outside = await post(admin, `/admin/people/${people.noEmail1.id}/access-code/deactivate`, {
      _csrf: csrfOf(confirm.body),
      return: '//evil.example/x',
    });
    expect(outside.headers.location).toBe(`/admin/people/${people.noEmail1.id}`);
  });

  it(
    '"Get access codes": the confirmation names the count and the ' +
      'replacement; one batch per submitted form; CSV and PDF downloads',
    async () => {
      // Sven holds an active code from the test above (24 h): it will be replaced.
      const confirm = await get(admin, '/admin/access-codes/issue?hasEmail=false');
      expect(confirm.statusCode).toBe(200);
      const body = text(confirm.body);
      // Without email and not deactivated: Bo, Sven, the formula person (the deactivated one is left out).
      expect(body).toContain('Codes will be made for 3 people: without an email address.');
      expect(body).toContain('1 of them already has an active access code. It will be replaced');
      admin.lang = 'sv';
      const sv = text((await get(admin, '/admin/access-codes/issue?hasEmail=false')).body);
      expect(sv).toContain(LABELS.sv.getAccessCodes);
      expect(sv).toContain('Koder skapas för 3 personer: utan e-postadress.');
      admin.lang = 'en';

      const fields = {
        _csrf: csrfOf(confirm.body),
        idempotencyKey: hiddenOf(confirm.body, 'idempotencyKey'),
        hasEmail: hiddenOf(confirm.body, 'hasEmail'),
      };
      expect(fields.hasEmail).toBe('false');
      const first = await post(admin, '/admin/access-codes/issue', fields);
      expect(first.statusCode).toBe(303);
      const batchUrl = first.headers.location as string;
      expect(batchUrl).toMatch(/^\/admin\/batches\/[0-9a-f-]{36}$/);
      // A double-click (the same form sent twice) gets the same batch: the printed codes stay valid.
      const second = await post(admin, '/admin/access-codes/issue', fields);
      expect(second.headers.location).toBe(batchUrl);
      expect(await count('batches')).toBe(1);

      const batchPage = await get(admin, batchUrl);
      expect(batchPage.headers['cache-control']).toBe('no-store');
      expect(text(batchPage.body)).toContain('3 new access codes are ready.');
      expect(text(batchPage.body)).toContain('15 minutes left');
      expect(batchPage.body).not.toMatch(CODE);

      const csv = await get(admin, `${batchUrl}/codes.csv`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['cache-control']).toBe('no-store');
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="keyslip-codes-.+\.csv"$/);
      const lines = csv.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('name,username,code,expiresAt');
      expect(lines).toHaveLength(4);
      expect(lines.some((line) => line.startsWith("'=1+2 Formula,formula.f,"))).toBe(true);
      for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`,${CODE.source},\\d{4}-\\d{2}-\\d{2}T`));

      admin.lang = 'sv';
      const pdf = await app.inject({
        method: 'GET',
        url: `${batchUrl}/slips.pdf`,
        headers: { cookie: cookieHeader(admin), 'accept-language': 'sv' },
      });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.headers['cache-control']).toBe('no-store');
      expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(await count('audit_events', { action: 'batch.downloaded' })).toBe(2);
      // Slips to hand out: a page per store in store order (Lund, Malmö), those without a store
      // last, each slip with its department, store and employee id.
      const document = await openPdf(pdf.rawPayload);
      const pages = [];
      for (let number = 1; number <= document.numPages; number++)
        pages.push(await pageText(await document.getPage(number)));
      expect(pages).toHaveLength(3);
      expect(pages[0]).toContain('Sven Svensson');
      expect(pages[0]).toContain('Lund');
      expect(pages[1]).toContain('Bo Ek');
      expect(pages[1]).toContain('Malmö');
      expect(pages[1]).toContain('E-1');
      expect(pages[2]).toContain('Formula');
      expect(pages[2]).toContain('Warehouse');

      // After the download window: a clear closed state, and 410 for the files.
      context.clock.advance(16 * MINUTE);
      admin.lang = 'en';
      const closed = await get(admin, batchUrl);
      expect(text(closed.body)).toContain('The download window has closed.');
      expect(closed.body).not.toContain('codes.csv');
      const late = await get(admin, `${batchUrl}/codes.csv`);
      expect(late.statusCode).toBe(410);
      expect(late.headers['content-type']).toMatch(/^text\/html/);
      // An expected state with its own title, not "Something went wrong".
      expect(late.body).toContain('<h1>The download window has closed</h1>');
      expect(late.body).not.toMatch(CODE);
    },
  );

  it('bulk "Deactivate access codes" names the count and deactivates the selection', async () => {
    const confirm = await get(admin, '/admin/access-codes/deactivate?department=Kitchen&selection=1');
    expect(text(confirm.body)).toContain('Active access codes in this selection (department: Kitchen): 2.');
    const done = await post(admin, '/admin/access-codes/deactivate', {
      _csrf: csrfOf(confirm.body),
      department: hiddenOf(confirm.body, 'department'),
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/admin/people?department=Kitchen&done=codes-deactivated&n=2');
    expect(text((await get(admin, done.headers.location as string)).body)).toContain(
      '2 access codes were deactivated.',
    );
    expect(text((await get(admin, '/admin/access-codes/deactivate?department=Kitchen')).body)).toContain(
      'No one in this selection',
    );
  });

  it("the import report follows the admin's language on the page, and stays English for an API token", async () => {
    admin.lang = 'sv';
    const page = await get(admin, '/admin/people/import');
    const file = 'name,username,employeeId,title\nAda Ek,ada.ek,E-1,\nBo Ek,ada.ek,E-2,\nCia Ek,x,E-3,\n';
    const importFile = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/people/import',
        headers: { 'content-type': 'text/csv', accept: 'application/json', ...headers },
        payload: file,
      });
    const sv = await importFile({
      cookie: cookieHeader(admin),
      'accept-language': 'sv',
      'x-csrf-token': csrfOf(page.body),
    });
    expect(sv.statusCode).toBe(200);
    expect(sv.json().errors).toEqual([
      { line: 3, message: 'Importerades inte: användarnamn "ada.ek" finns också på rad 2 i filen.' },
      { line: 4, message: expect.stringMatching(/^Användarnamnet måste vara 3–64 tecken/) },
    ]);
    const en = await importFile({ authorization: `Bearer ${adminToken}`, 'accept-language': 'sv' });
    expect(en.json().errors).toEqual([
      { line: 3, message: 'Not imported: username "ada.ek" is also on line 2 of this file.' },
      { line: 4, message: expect.stringMatching(/^Username must be 3–64/) },
    ]);
  });

  it('adds and edits a person with errors beside the fields, and ends sessions and deactivates', async () => {
    admin.lang = 'sv';
    const blank = await get(admin, '/admin/people/new');
    const refused = await post(admin, '/admin/people/new', {
      _csrf: csrfOf(blank.body),
      name: 'Nils Nilsson',
      username: 'x',
      email: 'not-an-email',
      role: 'member',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(
      new RegExp(
        '<input id="field-username" name="username" type="text" value="x"[^>]*' +
          ' aria-describedby="field-username-hint field-username-error" aria-invalid="true">',
      ),
    );
    expect(refused.body).toContain(
      '<p class="field-error" id="field-username-error">Användarnamnet måste vara 3–64 tecken',
    );
    expect(refused.body).toContain('<p class="field-error" id="field-email-error">E-postadressen är inte giltig.</p>');
    expect(refused.body).toContain('value="Nils Nilsson"');
    for (const name of ['name', 'username', 'email', 'employeeId', 'department', 'location', 'title'])
      expect(refused.body).toContain(`<label for="field-${name}">`);

    const created = await post(admin, '/admin/people/new', {
      _csrf: csrfOf(blank.body),
      name: 'Nils Nilsson',
      username: 'nils.n',
      email: '',
      role: 'member',
    });
    expect(created.statusCode).toBe(303);
    const personUrl = (created.headers.location as string).replace(/\?.*/, '');
    expect(created.headers.location).toMatch(/^\/admin\/people\/[0-9a-f-]{36}\?done=added$/);
    const page = await get(admin, created.headers.location as string);
    expect(text(page.body)).toContain('Personen lades till.');

    const taken = await post(admin, personUrl, {
      _csrf: csrfOf(page.body),
      name: 'Nils Nilsson',
      username: 'sven.s',
      role: 'member',
    });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('Användarnamnet är upptaget.');
    const saved = await post(admin, personUrl, {
      _csrf: csrfOf(page.body),
      name: 'Nils Nilsson',
      username: 'nils.n',
      department: 'Bageri',
      role: 'member',
    });
    expect(saved.headers.location).toBe(`${personUrl}?done=saved`);
    expect(text((await get(admin, `${personUrl}?done=saved`)).body)).toContain('Ändringarna sparades.');

    const id = personUrl.split('/').pop()!;
    await createSession(context.deps.db, context.deps.config, id, context.clock.now(), { ip: null, userAgent: null });
    const ended = await post(admin, `${personUrl}/sessions/end`, { _csrf: csrfOf(page.body) });
    expect(ended.headers.location).toBe(`${personUrl}?done=sessions-ended&n=1`);

    const confirm = await get(admin, `${personUrl}/deactivate`);
    expect(text(confirm.body)).toContain('Inaktivera Nils Nilsson?');
    const deactivated = await post(admin, `${personUrl}/deactivate`, { _csrf: csrfOf(confirm.body) });
    expect(deactivated.headers.location).toBe(`${personUrl}?done=person-deactivated`);
    const person = await context.deps.db
      .selectFrom('people')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(person.status).toBe('deactivated');
    expect((await get(admin, '/admin/people/not-an-id')).statusCode).toBe(404);
  });

  it('shows the audit log in plain words, filtered by person and action', async () => {
    const all = await get(admin, '/admin/audit');
    expect(all.statusCode).toBe(200);
    expect(text(all.body)).toContain('Access code issued');
    expect(text(all.body)).toContain('Access codes downloaded');
    const forSven = text((await get(admin, '/admin/audit?person=sven.s&action=access_code.issued')).body);
    expect(forSven).toContain('Access code issued');
    expect(forSven).toContain('Sven Svensson');
    expect(forSven).not.toContain('Bo Ek');
    expect(forSven).not.toMatch(CODE);
    expect(text((await get(admin, '/admin/audit?person=nobody.here')).body)).toContain(
      'No one matches that name, username or id.',
    );
    admin.lang = 'sv';
    expect(text((await get(admin, '/admin/audit?action=access_codes.issued')).body)).toContain(
      'Åtkomstkoder skapade för en grupp',
    );
  });
});
