// The organisation's apps as buttons (SPEC §4, §8): on home, and on the success screen after a
// claim or a recovery, every app with a launch URL is a button with its name — and nothing else
// of its registration (client id, kind, addresses) reaches a worker's page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR, recordAuditEvent, SYSTEM_ACTOR } from '../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../src/access-codes/access-codes.service.js';
import { createOidcClient } from '../src/oidc/oidc-clients.service.js';
import { createPerson } from '../src/people/people.service.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { createTestApi } from './helpers/api.js';
import { client, PASSWORD } from './helpers/core.js';

const ROTA_URL = 'https://rota.example.org/start?from=keyslip&team=1';

interface Browser {
  cookies: Map<string, string>;
  language: 'en' | 'sv';
}

function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1]!;
}

/** The apps section of a page: its buttons' names and addresses, in order. */
function appButtons(page: string): { name: string; href: string }[] {
  return [...page.matchAll(/<a class="button button-wide app-button" href="([^"]*)">([^<]*)<\/a>/g)].map((m) => ({
    href: m[1]!.replace(/&amp;/g, '&'),
    name: m[2]!,
  }));
}

describe.each(DIALECTS)("the organisation's apps on home and after a code (%s)", (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;
  let admin: { authorization: string };
  const hiddenIds: string[] = [];
  let rotaId = '';

  async function request(browser: Browser, url: string, fields?: Record<string, string>) {
    const response = await app.inject({
      method: fields ? 'POST' : 'GET',
      url,
      headers: {
        accept: 'text/html',
        'accept-language': browser.language,
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(fields ? { payload: new URLSearchParams(fields).toString() } : {}),
    });
    const setCookie = response.headers['set-cookie'];
    for (const cookie of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const match = /^([^=]+)=([^;]*)/.exec(cookie);
      if (match) browser.cookies.set(match[1]!, match[2]!);
    }
    return response;
  }

  /** Redeems a code through the access-code page; returns the page the browser lands on. */
  async function redeemThroughPage(browser: Browser, code: string, username: string): Promise<string> {
    const form = await request(browser, '/work/accesscode');
    const done = await request(browser, '/work/accesscode', {
      _csrf: csrfOf(form.body),
      step: 'redeem',
      code,
      username,
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(done.statusCode, done.body.slice(0, 500)).toBe(303);
    const landed = await request(browser, done.headers.location as string);
    expect(landed.statusCode).toBe(200);
    return `${done.headers.location}\n${landed.body}`;
  }

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

  it('shows no apps section while no app has a launch URL', async () => {
    const backend = await createOidcClient(
      context.deps,
      { name: 'Payroll Backend', redirectUris: ['https://payroll.example.org/cb'] },
      CLI_ACTOR,
    );
    hiddenIds.push(backend.client.clientId);
    const person = await createPerson(context.deps, { name: 'Ida Holm', username: 'ida.holm' }, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map(), language: 'en' };
    const page = await redeemThroughPage(browser, issued.code, 'ida.holm');
    expect(page).toContain('notice-success');
    expect(page).not.toContain('apps-heading');
    expect(page).not.toContain('Payroll Backend');
    expect(appButtons(page)).toEqual([]);
  });

  it('lists apps with a launch URL as buttons after a claim, in both languages, and nothing internal', async () => {
    const rota = await createOidcClient(
      context.deps,
      {
        name: 'Rota Planner',
        redirectUris: ['https://rota.example.org/callback'],
        backchannelLogoutUri: 'https://rota.example.org/backchannel',
        syntheticEmailDomain: 'staff.example.org',
        launchUrl: ROTA_URL,
      },
      CLI_ACTOR,
    );
    rotaId = rota.client.clientId;
    const intranet = await createOidcClient(
      context.deps,
      {
        name: 'Intranet',
        redirectUris: ['https://intranet.example.org/oidc'],
        firstParty: true,
        launchUrl: 'https://intranet.example.org/',
      },
      CLI_ACTOR,
    );
    const secondBackend = await createOidcClient(
      context.deps,
      { name: 'Stock API', redirectUris: ['https://stock.example.org/cb'], public: true },
      CLI_ACTOR,
    );
    hiddenIds.push(secondBackend.client.clientId);

    for (const language of ['en', 'sv'] as const) {
      const person = await createPerson(
        context.deps,
        { name: `New ${language}`, employeeId: `N-${language}` },
        CLI_ACTOR,
      );
      const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
      const browser: Browser = { cookies: new Map(), language };
      const page = await redeemThroughPage(browser, issued.code, `new.${language}`);
      expect(page.startsWith('/?welcome=claimed')).toBe(true);
      expect(page).toContain(`<html lang="${language}">`);
      expect(page).toContain(language === 'en' ? 'Your apps' : 'Dina appar');
      // By name; the address exactly as registered (escaped in the attribute, not changed).
      expect(appButtons(page)).toEqual([
        { name: 'Intranet', href: 'https://intranet.example.org/' },
        { name: 'Rota Planner', href: ROTA_URL },
      ]);
      expect(page).toContain('<section aria-labelledby="apps-heading" class="apps">');
      // Nothing of the registrations: no client ids, kinds, redirect or logout addresses, domains.
      for (const internal of [
        rotaId,
        intranet.client.clientId,
        ...hiddenIds,
        'Payroll Backend',
        'Stock API',
        'rota.example.org/callback',
        'backchannel',
        'staff.example.org',
        'first-party',
        'third-party',
        'confidential',
        'Client ID',
        'Klient-ID',
        'Launch URL',
        'Startadress',
        'egen',
        'extern',
      ]) {
        expect(page, internal).not.toContain(internal);
      }
    }
  });

  it('lists the same buttons after a recovery and on home later', async () => {
    const person = await createPerson(context.deps, { name: 'Ola Berg', username: 'ola.berg' }, CLI_ACTOR);
    const first = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(context.deps, {
      code: first.code,
      username: 'ola.berg',
      password: PASSWORD,
      client: client(),
    });
    const recovery = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map(), language: 'en' };
    const page = await redeemThroughPage(browser, recovery.code, 'ola.berg');
    expect(page.startsWith('/?welcome=recovered')).toBe(true);
    expect(appButtons(page).map((button) => button.name)).toEqual(['Intranet', 'Rota Planner']);

    const home = await request(browser, '/');
    expect(home.body).not.toContain('notice-success');
    expect(appButtons(home.body).map((button) => button.name)).toEqual(['Intranet', 'Rota Planner']);
    expect(home.body).not.toContain(rotaId);
  });

  it("names apps in the person's own events by name, never by client id or audit action", async () => {
    const person = await createPerson(context.deps, { name: 'Pia Ström', username: 'pia.strom' }, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map(), language: 'sv' };
    await redeemThroughPage(browser, issued.code, 'pia.strom');
    const actor = { kind: 'person' as const, id: person.id, label: 'pia.strom' };
    const at = context.clock.now();
    await recordAuditEvent(context.deps.db, {
      action: 'oidc.signed_in',
      actor,
      personId: person.id,
      details: { clientId: rotaId },
      at,
    });
    await recordAuditEvent(context.deps.db, {
      action: 'oidc.consented',
      actor,
      personId: person.id,
      details: { clientId: rotaId },
      at,
    });
    // An app removed since: "an app".
    await recordAuditEvent(context.deps.db, {
      action: 'oidc.logout_sent',
      actor: SYSTEM_ACTOR,
      personId: person.id,
      details: { clientId: 'removed-app-id' },
      at,
    });
    const home = await request(browser, '/');
    expect(home.body).toContain('Du loggade in i Rota Planner');
    expect(home.body).toContain('Du lät Rota Planner använda ditt konto');
    expect(home.body).toContain('Utloggningen skickades till en app');
    for (const internal of ['oidc.', rotaId, 'removed-app-id', 'Kontohändelse']) {
      expect(home.body, internal).not.toContain(internal);
    }
  });

  it('shows no buttons to someone not signed in: home sends them to /login', async () => {
    const response = await request({ cookies: new Map(), language: 'en' }, '/');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
  });

  it('takes the launch URL over the API, shows it back, and refuses one that is not a web address', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/oidc-clients',
      headers: admin,
      payload: {
        name: 'Wiki',
        redirectUris: ['https://wiki.example.org/oidc/callback'],
        launchUrl: 'https://wiki.example.org/',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().client.launchUrl).toBe('https://wiki.example.org/');
    const listed = await app.inject({ method: 'GET', url: '/api/v1/oidc-clients', headers: admin });
    const wiki = (listed.json().items as { name: string; launchUrl: string | null }[]).find((c) => c.name === 'Wiki');
    expect(wiki?.launchUrl).toBe('https://wiki.example.org/');

    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/oidc-clients',
      headers: admin,
      payload: { name: 'Bad', redirectUris: ['https://bad.example.org/cb'], launchUrl: 'javascript:alert(1)' },
    });
    expect(refused.statusCode).toBe(400);
    expect(JSON.stringify(refused.json())).toContain('launchUrl');

    const browser: Browser = { cookies: new Map(), language: 'en' };
    const person = await createPerson(context.deps, { name: 'Ulla Wik', username: 'ulla.wik' }, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const page = await redeemThroughPage(browser, issued.code, 'ulla.wik');
    expect(appButtons(page).map((button) => button.name)).toEqual(['Intranet', 'Rota Planner', 'Wiki']);
    expect(page).not.toContain('javascript:');
  });
});
