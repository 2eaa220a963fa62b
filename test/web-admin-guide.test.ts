// The admin side of issue 16 over inject(), on every dialect: an audit log a person can read
// (search by name, plain reasons in both languages, a bulk issue folded into one line, CSV
// export on the page and the API, formula-safe), "Start over for this person" (page and API,
// admin only), and the guided next steps (first-run checklist, "Get access code now", "for
// everyone without email", a batch page with its recipients and progress).
import { findPersonById } from '../src/people/people.store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { ALPHABET } from '../src/access-codes/access-code.js';
import { issueAccessCode, redeemAccessCode } from '../src/access-codes/access-codes.service.js';
import { LABELS } from '../src/http/labels.js';
import { MINUTE } from '../src/lib/clock.js';
import { createPerson } from '../src/people/people.service.js';
import type { Person } from '../src/people/person.js';
import { createSession } from '../src/sessions/session.js';
import { signIn } from '../src/sign-in/sign-in.service.js';
import { createTestApi } from './helpers/api.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const CODE = new RegExp(`[${ALPHABET}]{4}-[${ALPHABET}]{4}-[${ALPHABET}]{4}-[${ALPHABET}]{4}`);
const CLIENT = { ip: '198.51.100.30', userAgent: 'test' };

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
  return match[1]!;
}

function text(page: string): string {
  return page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** The visible text of the audit table's Details cells. */
function detailsText(page: string): string {
  const cells = [...page.matchAll(/<ul class="details">([\s\S]*?)<\/ul>/g)].map((m) => m[1]!);
  return text(cells.join(' '));
}

describe.each(DIALECTS)('the admin’s guided pages (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let adminToken: string;
  let admin: Jar;
  let member: Jar;
  let anna: Person;
  let people: Record<'timo1' | 'timo2' | 'formula' | 'sven', Person>;

  async function get(jar: Jar, url: string, headers: Record<string, string> = {}) {
    const response = await app.inject({
      method: 'GET',
      url,
      headers: { accept: 'text/html', 'accept-language': jar.lang ?? 'en', cookie: cookieHeader(jar), ...headers },
    });
    remember(jar, response.headers['set-cookie']);
    return response;
  }

  async function post(jar: Jar, url: string, fields: Record<string, string>) {
    const response = await app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'accept-language': jar.lang ?? 'en',
        cookie: cookieHeader(jar),
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

  beforeAll(async () => {
    context = await createTestContext(dialect);
    ({ app, adminToken } = await createTestApi(context));
    const { deps } = context;
    anna = await createPerson(
      deps,
      { name: 'Anna Admin', username: 'anna.admin', email: 'anna@example.com', role: 'admin' },
      CLI_ACTOR,
    );
    const worker = await createPerson(deps, { name: 'Walter Worker', email: 'walter@example.com' }, CLI_ACTOR);
    admin = await sessionJar(anna.id);
    member = await sessionJar(worker.id);
  });
  afterAll(async () => {
    await app?.close();
    await context?.close();
  });

  it('shows the first admin a checklist on an almost empty People page, until it is hidden', async () => {
    const first = await get(admin, '/admin/people');
    expect(first.statusCode).toBe(200);
    const body = text(first.body);
    expect(body).toContain('Get started');
    expect(body).toContain('Make a second admin');
    expect(body).toContain('Register an app');
    // Someone besides the admin is already there: that step is ticked off.
    expect(first.body).toMatch(/<li class="checklist-step checklist-done">[\s\S]*?Add or import your people/);
    admin.lang = 'sv';
    expect(text((await get(admin, '/admin/people')).body)).toContain('Kom igång');
    admin.lang = 'en';

    const hidden = await post(admin, '/admin/guide/dismiss', { _csrf: csrfOf(first.body) });
    expect(hidden.statusCode).toBe(303);
    expect(text((await get(admin, '/admin/people')).body)).not.toContain('Get started');
    expect((await post(admin, '/admin/guide/dismiss', {})).statusCode).toBe(403);
  });

  it('puts "Get access code now" in the notice after adding a person', async () => {
    const form = await get(admin, '/admin/people/new');
    const added = await post(admin, '/admin/people/new', {
      _csrf: csrfOf(form.body),
      name: 'Timo Laine',
      employeeId: 'E-101',
      department: 'Kassa',
      location: 'Butik 214',
      role: 'member',
    });
    expect(added.statusCode).toBe(303);
    const url = added.headers.location as string;
    expect(url).toMatch(/\?done=added$/);
    const page = await get(admin, url);
    const id = /\/admin\/people\/([0-9a-f-]{36})/.exec(url)![1]!;
    expect(text(page.body)).toContain('The person was added. Next: get Timo Laine an access code to hand over.');
    expect(page.body).toContain(`<a class="button" href="/admin/people/${id}/access-code?return=`);
    expect(text(page.body)).toContain('Get access code now');
    admin.lang = 'sv';
    expect(text((await get(admin, url)).body)).toContain('Hämta åtkomstkod nu');
    admin.lang = 'en';

    const { deps } = context;
    const timo1 = (await deps.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as {
      id: string;
    };
    people = {
      timo1: { id: timo1.id, name: 'Timo Laine' } as Person,
      timo2: await createPerson(
        deps,
        { name: 'Timo Laine', employeeId: 'E-202', department: 'Chark', location: 'Butik 118' },
        CLI_ACTOR,
      ),
      formula: await createPerson(deps, { name: '=1+2 Formula', username: 'formula.f' }, CLI_ACTOR),
      sven: await createPerson(
        deps,
        { name: 'Sven Svensson', username: 'sven.s', email: 'sven@example.com' },
        CLI_ACTOR,
      ),
    };
  });

  it('names "Get access codes" by what it covers, in the menu and on the confirmation', async () => {
    const list = await get(admin, '/admin/people');
    // The contract label stays the link's name; the note says whom it covers.
    expect(list.body).toMatch(
      new RegExp(`aria-describedby="people-menu-note-0">${LABELS.en.getAccessCodes} <span class="menu-note"`),
    );
    expect(text(list.body)).toContain('Get access codes for everyone without email (3)');
    admin.lang = 'sv';
    expect(text((await get(admin, '/admin/people')).body)).toContain(
      `${LABELS.sv.getAccessCodes} för alla som saknar e-post (3)`,
    );
    expect(text((await get(admin, '/admin/access-codes/issue?hasEmail=false')).body)).toContain(
      'För alla som saknar e-post',
    );
    admin.lang = 'en';
    // After an import, the report's next step: slips for those without email and without a code.
    const importPage = await get(admin, '/admin/people/import');
    expect(importPage.body).toContain('href="/admin/access-codes/issue?hasEmail=false&amp;codeState=none"');
    expect(text(importPage.body)).toContain('Next: get access codes for everyone without email who has no code yet');
  });

  let batchUrl = '';
  it('shows a batch’s recipients (names, never codes) and its progress', async () => {
    const confirm = await get(admin, '/admin/access-codes/issue?hasEmail=false');
    expect(text(confirm.body)).toContain('For everyone without email');
    const made = await post(admin, '/admin/access-codes/issue', {
      _csrf: csrfOf(confirm.body),
      idempotencyKey: hiddenOf(confirm.body, 'idempotencyKey'),
      hasEmail: 'false',
    });
    batchUrl = made.headers.location as string;
    const batch = await get(admin, batchUrl);
    const body = text(batch.body);
    expect(body).toContain('Who got a code');
    expect(body).toContain('0 of 3 have used their code; 3 codes can still be used.');
    expect(body).toContain('E-101');
    expect(body).toContain('E-202');
    expect(body).toContain('=1+2 Formula');
    expect(batch.body).not.toMatch(CODE);

    // One of them uses the code: the progress follows.
    const csv = await get(admin, `${batchUrl}/codes.csv`);
    const line = csv.body.split('\r\n').find((l) => l.startsWith("'=1+2 Formula"))!;
    const code = CODE.exec(line)![0];
    await redeemAccessCode(context.deps, {
      code,
      username: 'formula.f',
      password: 'a long good password',
      client: CLIENT,
    });
    admin.lang = 'sv';
    expect(text((await get(admin, batchUrl)).body)).toContain(
      '1 av 3 har använt sin kod; 2 koder kan fortfarande användas.',
    );
    admin.lang = 'en';
  });

  it('folds a bulk issue into one line of the audit log that opens to its recipients', async () => {
    const page = await get(admin, '/admin/audit');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<details class="batch-fold">');
    expect(text(page.body)).toContain('Show who got a code (3)');
    // The batch's three per-person entries are inside the fold, not rows of their own.
    const rows = [...page.body.matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((m) => text(m[0]));
    expect(rows.filter((row) => row.includes('Access code issued ') && !row.includes('group'))).toHaveLength(0);
    // A person's own log lists their entry from the batch.
    const forFormula = text((await get(admin, '/admin/audit?person=formula.f')).body);
    expect(forFormula).toContain('Access code issued');
  });

  it('finds people by name: one match filters, several are offered with what tells them apart', async () => {
    const sven = await get(admin, '/admin/audit?person=Svensson');
    expect(text(sven.body)).toContain('Person added');
    expect(text(sven.body)).toContain('Sven Svensson');
    expect(text(sven.body)).not.toContain('Timo Laine');

    const timo = text((await get(admin, '/admin/audit?person=Timo+Laine')).body);
    expect(timo).toContain('Events for 2 people who match “Timo Laine”. Choose one:');
    expect(timo).toContain('E-101 · Kassa · Butik 214');
    expect(timo).toContain('E-202 · Chark · Butik 118');
    expect(timo).not.toContain('Sven Svensson');

    expect(text((await get(admin, '/admin/audit?person=Nobody+Here')).body)).toContain(
      'No one matches that name, username or id.',
    );
    const byAnna = text((await get(admin, '/admin/audit?actor=Anna')).body);
    expect(byAnna).toContain('Access codes issued for a group');
  });

  it('gives reasons in plain words in both languages: no internal codes in the details', async () => {
    await expect(
      signIn(context.deps, { login: 'formula.f', password: 'not the password', client: CLIENT }),
    ).rejects.toMatchObject({ code: 'sign_in_failed' });
    await expect(
      signIn(context.deps, { login: 'no.such.person', password: 'not the password', client: CLIENT }),
    ).rejects.toMatchObject({ code: 'sign_in_failed' });
    const en = await get(admin, '/admin/audit?action=sign_in.failed');
    const details = detailsText(en.body);
    expect(details).toContain('reason: wrong password');
    expect(details).toContain('reason: unknown username or email');
    expect(details).toContain('failed attempts from the address lately');
    expect(details).not.toMatch(/[a-z]_[a-z]/);
    admin.lang = 'sv';
    const sv = detailsText((await get(admin, '/admin/audit?action=sign_in.failed')).body);
    expect(sv).toContain('orsak: fel lösenord');
    expect(sv).toContain('orsak: okänt användarnamn eller e-post');
    expect(sv).not.toContain('misslyckanden i rad');
    admin.lang = 'en';
    const all = detailsText((await get(admin, '/admin/audit')).body);
    expect(all).not.toMatch(/\b[a-z]+_[a-z]+\b/);
  });

  it('exports the filtered log as CSV (page and API), formula-safe, without a code', async () => {
    const csv = await get(admin, '/admin/audit/export.csv?person=formula.f');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="keyslip-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Time (UTC),Action,Action code,Done by,Person,Username,Employee id,Details,IP address');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const row of lines.slice(1)) expect(row).toMatch(/^\d{4}-\d{2}-\d{2}T[^,]+,[^,]+,[a-z_.]+,/);
    expect(lines.some((row) => row.includes(",'=1+2 Formula,formula.f,"))).toBe(true);
    expect(lines.some((row) => row.includes('Account claimed'))).toBe(true);
    expect(csv.body).not.toMatch(CODE);
    admin.lang = 'sv';
    const sv = await get(admin, '/admin/audit/export.csv?action=sign_in.failed');
    expect(sv.body.split('\r\n')[0]).toBe(
      'Tid (UTC),Händelse,Händelsekod,Utfört av,Person,Användarnamn,Anställningsnummer,Detaljer,IP-adress',
    );
    expect(sv.body).toContain('orsak: fel lösenord');
    admin.lang = 'en';

    const api = await app.inject({
      method: 'GET',
      url: `/api/v1/audit?personId=${people.formula.id}`,
      headers: { authorization: `Bearer ${adminToken}`, accept: 'text/csv' },
    });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(api.body.split('\r\n')[0]).toBe(lines[0]);
    expect(api.body.trimEnd().split('\r\n')).toHaveLength(lines.length);
    const json = await app.inject({
      method: 'GET',
      url: `/api/v1/audit?personId=${people.formula.id}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect((json.json() as { items: unknown[] }).items.length).toBe(lines.length - 1);
  });

  it('starts over for a person whose code the wrong person used: one confirmed step, code shown once', async () => {
    // Timo Laine (E-202) gets a code; the other Timo uses it and chooses a username.
    const issued = await issueAccessCode(context.deps, { personId: people.timo2.id, actor: CLI_ACTOR });
    context.clock.advance(MINUTE);
    await redeemAccessCode(context.deps, {
      code: issued.code,
      username: 'timo.wrong',
      password: 'a long good password',
      client: CLIENT,
    });
    const personPage = await get(admin, `/admin/people/${people.timo2.id}`);
    expect(personPage.body).toContain(`href="/admin/people/${people.timo2.id}/start-over"`);
    expect(text(personPage.body)).toContain('Start over for this person');

    expect((await get(member, `/admin/people/${people.timo2.id}/start-over`)).statusCode).toBe(403);
    const confirm = await get(admin, `/admin/people/${people.timo2.id}/start-over`);
    const words = text(confirm.body);
    expect(words).toContain('Start over for Timo Laine?');
    expect(words).toContain('E-202 · Chark · Butik 118');
    expect(words).toContain('clears the username “timo.wrong”, chosen when the code was used');
    expect(words).toContain('removes the password and makes the account not yet claimed again');
    admin.lang = 'sv';
    expect(text((await get(admin, `/admin/people/${people.timo2.id}/start-over`)).body)).toContain(
      'tar bort användarnamnet ”timo.wrong”',
    );
    admin.lang = 'en';

    const done = await post(admin, `/admin/people/${people.timo2.id}/start-over`, {
      _csrf: csrfOf(confirm.body),
      lifetimeHours: '24',
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toMatch(new RegExp(`^/admin/people/${people.timo2.id}/access-code/shown\\?return=`));
    expect(done.headers.location).not.toMatch(CODE);
    const shown = await get(admin, done.headers.location as string);
    expect(shown.body).toMatch(/data-code="[A-Z-]{19}"/);
    expect((await get(admin, done.headers.location as string)).body).not.toMatch(/data-code="/);
    const back = await get(admin, `/admin/people/${people.timo2.id}?done=started-over`);
    expect(text(back.body)).toContain(
      'Started over: Timo Laine was signed out everywhere, and only the new code works.',
    );
    const row = await findPersonById(context.deps.db, people.timo2.id);
    expect(row).toMatchObject({ status: 'unclaimed', username: null, password_hash: null, code_state: 'active' });
    const audit = text((await get(admin, '/admin/audit?action=person.started_over')).body);
    expect(audit).toContain('Started over (new access code)');
    expect(audit).toContain('username cleared: timo.wrong');
    expect(audit).toContain('back to not yet claimed: yes');

    // One's own account is not offered.
    const own = text((await get(admin, `/admin/people/${anna.id}/start-over`)).body);
    expect(own).toContain('This is your own account');
  });

  it('starts over through the API too (admin only), returning the new code once', async () => {
    const api = await app.inject({
      method: 'POST',
      url: `/api/v1/people/${people.timo2.id}/start-over`,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      payload: { lifetimeHours: 24 },
    });
    expect(api.statusCode).toBe(201);
    expect(api.headers['cache-control']).toBe('no-store');
    const body = api.json() as Record<string, unknown>;
    expect(body.code).toMatch(CODE);
    expect(body).toMatchObject({ undone: 'none', usernameCleared: false, codesVoided: 1 });
    const memberSession = await createSession(
      context.deps.db,
      context.deps.config,
      people.sven.id,
      context.clock.now(),
      {
        ip: null,
        userAgent: null,
      },
    );
    const refused = await app.inject({
      method: 'POST',
      url: `/api/v1/people/${people.timo2.id}/start-over`,
      headers: { cookie: `keyslip_session=${memberSession.token}`, 'content-type': 'application/json' },
      payload: {},
    });
    expect([401, 403]).toContain(refused.statusCode);
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/people/00000000-0000-7000-8000-00000000ffff/start-over',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(missing.statusCode).toBe(404);
  });
});
