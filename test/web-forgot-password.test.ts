// The way back from a forgotten password, over inject(): the link on /login, the help page that
// opens with it, "Ask for a new code" reaching People without telling whether the account exists,
// and a signed-in person changing their password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../src/access-codes/access-codes.service.js';
import { createPerson } from '../src/people/people.service.js';
import { LABELS } from '../src/http/labels.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { type Browser, createTestApi, csrfOf, pageClient } from './helpers/api.js';

describe.each(DIALECTS)('a forgotten password (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;

  const { get, post } = pageClient(() => app);

  /** A claimed account with a known password. */
  async function account(name: string, username: string, extra: { role?: 'admin'; employeeId?: string } = {}) {
    const person = await createPerson(context.deps, { name, username, ...extra }, CLI_ACTOR);
    const { code } = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(context.deps, {
      code,
      username,
      password: 'a first long password',
      client: { ip: '10.0.0.1', userAgent: null },
    });
    return person;
  }

  async function signedIn(login: string, password: string, lang = 'en'): Promise<Browser> {
    const browser: Browser = { cookies: new Map() };
    const page = await get(browser, '/login');
    const response = await post(
      browser,
      '/login',
      { _csrf: csrfOf(page.body), login, password },
      { 'accept-language': lang },
    );
    expect(response.statusCode, response.body).toBe(303);
    return browser;
  }

  beforeAll(async () => {
    context = await createTestContext(dialect);
    app = (await createTestApi(context)).app;
  });
  afterAll(async () => {
    await app.close();
    await context.close();
  });

  it('/login links to the help page’s first section, which asks for a new code', async () => {
    for (const locale of ['en', 'sv'] as const) {
      const browser: Browser = { cookies: new Map() };
      const login = await get(browser, '/login', { 'accept-language': locale });
      expect(login.body).toContain(`<a href="/help/login#forgot">${LABELS[locale].forgotPassword}</a>`);
      const help = await get(browser, '/help/login', { 'accept-language': locale });
      const h2 = help.body.indexOf('<h2');
      expect(help.body.slice(h2, h2 + 120)).toContain(LABELS[locale].forgotPassword);
      expect(help.body).toContain('action="/help/request-code"');
      expect(help.body).toContain(`>${LABELS[locale].askForNewCode}</button>`);
      expect(help.body.indexOf('id="forgot"')).toBeLessThan(help.body.indexOf('Caps Lock'));
    }
  });

  it('a request answers alike for any input, and appears on the admins’ People page with a count', async () => {
    await account('Ada Admin', 'ada.admin', { role: 'admin' });
    await account('Anna Wójcik', 'anna.wojcik', { employeeId: 'E10423' });
    context.clock.advance(60_000); // the request comes after her first code
    const answers: string[] = [];
    for (const login of ['E10423', 'no.such.person', 'Anna Wójcik']) {
      const browser: Browser = { cookies: new Map() };
      const help = await get(browser, '/help/login', { 'accept-language': 'sv' });
      const sent = await post(
        browser,
        '/help/request-code',
        { _csrf: csrfOf(help.body), login },
        { 'accept-language': 'sv' },
      );
      expect(sent.statusCode).toBe(303);
      answers.push(String(sent.headers.location));
      const shown = await get(browser, String(sent.headers.location).replace(/#.*/, ''), { 'accept-language': 'sv' });
      expect(shown.body).toContain('Tack. Om det är ditt användarnamn eller anställningsnummer');
    }
    expect(new Set(answers)).toEqual(new Set(['/help/login?asked=1#forgot']));

    const admin = await signedIn('ada.admin', 'a first long password', 'sv');
    const people = await get(admin, '/admin/people', { 'accept-language': 'sv' });
    expect(people.statusCode).toBe(200);
    expect(people.body).toContain('1 person har bett om en ny kod');
    expect(people.body).toContain('<strong>Anna Wójcik</strong>');
    expect(people.body).toMatch(/href="\/admin\/people\/[^"]+\/access-code">Hämta åtkomstkod</);
  });

  it('a signed-in worker changes their password: current one checked, rules applied, other devices out', async () => {
    await account('Timo Laine', 'timo.laine');
    const phone = await signedIn('timo.laine', 'a first long password');
    const tablet = await signedIn('timo.laine', 'a first long password');
    const home = await get(phone, '/');
    expect(home.body).toContain('href="/account/password"');
    const page = await get(phone, '/account/password', { 'accept-language': 'sv' });
    expect(page.body).toContain('<h1>Byt lösenord</h1>');
    const csrf = csrfOf(page.body);
    const wrong = await post(
      phone,
      '/account/password',
      {
        _csrf: csrf,
        current: 'not it at all',
        password: 'tram to the harbour',
        password2: 'tram to the harbour',
      },
      { 'accept-language': 'sv' },
    );
    expect(wrong.statusCode, String(wrong.headers.location)).toBe(400);
    expect(wrong.body).toContain('Det är inte ditt nuvarande lösenord.');
    const common = await post(
      phone,
      '/account/password',
      {
        _csrf: csrf,
        current: 'a first long password',
        password: 'sommar123',
        password2: 'sommar123',
      },
      { 'accept-language': 'sv' },
    );
    expect(common.statusCode).toBe(400);
    expect(common.body).toContain('för vanligt');
    const done = await post(phone, '/account/password', {
      _csrf: csrf,
      current: 'a first long password',
      password: 'tram to the harbour',
      password2: 'tram to the harbour',
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/?changed=password');
    expect((await get(phone, '/?changed=password')).body).toContain('Your password is changed.');
    expect((await get(tablet, '/')).headers.location).toBe('/login');
    await signedIn('timo.laine', 'tram to the harbour');
  });

  it('a name typed instead of a username gets told so on /login', async () => {
    const browser: Browser = { cookies: new Map() };
    const page = await get(browser, '/login', { 'accept-language': 'sv' });
    const failed = await post(
      browser,
      '/login',
      { _csrf: csrfOf(page.body), login: 'Anna Berg', password: 'whatever it is' },
      { 'accept-language': 'sv' },
    );
    expect(failed.statusCode).toBe(401);
    expect(failed.body).toContain('Användarnamnet eller lösenordet är fel.');
    expect(failed.body).toContain('Ett användarnamn har inga mellanslag');
  });

  it('an expired form is titled so, in both languages, not “Not allowed”', async () => {
    for (const [lang, title] of [
      ['en', 'The form expired'],
      ['sv', 'Formuläret har gått ut'],
    ] as const) {
      const browser: Browser = { cookies: new Map() };
      await get(browser, '/help/login');
      const stale = await post(
        browser,
        '/help/request-code',
        { _csrf: 'stale', login: 'x' },
        { 'accept-language': lang },
      );
      expect(stale.statusCode).toBe(403);
      expect(stale.body).toContain(`<h1>${title}</h1>`);
    }
  });

  it('a worker’s home shows no IP addresses and no internal labels', async () => {
    const person = await account('Sara Sjögren', 'sara.sjogren');
    await issueAccessCode(context.deps, {
      personId: person.id,
      actor: { kind: 'token', id: null, label: 'token:hr-sync', ip: '198.51.100.23' },
    });
    const browser = await signedIn('sara.sjogren', 'a first long password', 'sv');
    const home = await get(browser, '/', { 'accept-language': 'sv' });
    expect(home.body).toContain('En ny åtkomstkod skapades åt dig');
    expect(home.body).toContain('av en administratör (via ett annat system)');
    expect(home.body).not.toContain('token:');
    expect(home.body).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
    expect(home.body).not.toMatch(/sessioner|token/i);
  });
});
