// Keyslip as an OpenID Provider, tested with a real relying party: openid-client (OpenID Certified,
// by the author of oidc-provider) against a Keyslip app listening on a real port. The browser is
// fetch with a cookie jar, following redirects by hand, through Keyslip's real /login and
// /work/accesscode pages.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { buildApp } from '../../src/app.js';
import { addAreaMember, createArea } from '../../src/areas/areas.service.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { systemClock } from '../../src/lib/clock.js';
import { deactivatePerson } from '../../src/accounts/deactivate-person.js';
import { createPerson } from '../../src/people/people.service.js';
import { createOidcClient, deleteOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { deliverDueLogouts } from '../../src/oidc/backchannel-logout.js';
import type { Deps } from '../../src/deps.js';
import { createTestContext, DIALECTS, type TestContext } from '../helpers/deps.js';
import { client as clientInfo, PASSWORD } from '../helpers/core.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A browser: a cookie jar and fetch, following redirects on Keyslip's origin only. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly origin: string,
    readonly headers: Record<string, string> = { 'accept-language': 'en' },
  ) {}

  private remember(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const match = /^([^=]+)=([^;]*)/.exec(cookie);
      if (!match) continue;
      if (match[2] === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(match[1]!);
      else this.cookies.set(match[1]!, match[2]!);
    }
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; url: string; location: string | null; body: string }> {
    const response = await fetch(new URL(url, this.origin), {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...this.headers,
        accept: 'text/html',
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.remember(response);
    const location = response.headers.get('location');
    return {
      status: response.status,
      url: new URL(url, this.origin).href,
      location: location ? new URL(location, url.startsWith('http') ? url : this.origin).href : null,
      body: await response.text(),
    };
  }

  /** Follows redirects while they stay on Keyslip; returns the last Keyslip response or the first URL elsewhere. */
  async follow(
    url: string,
    init: { form?: Record<string, string> } = {},
  ): Promise<{ page?: { status: number; url: string; body: string }; leftTo?: string }> {
    let current = await this.request(url, init);
    for (let hops = 0; hops < 20; hops += 1) {
      if (current.status < 300 || current.status >= 400 || !current.location) return { page: current };
      if (!current.location.startsWith(this.origin)) return { leftTo: current.location };
      current = await this.request(current.location);
    }
    throw new Error('too many redirects');
  }
}

function field(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no ${name} field on the page:\n${page.slice(0, 2000)}`);
  return match[1]!.replace(/&amp;/g, '&');
}

describe.each(DIALECTS)('Keyslip as an OpenID Provider, with openid-client as the app (%s)', (dialect) => {
  let context: TestContext;
  let deps: Deps;
  let app: FastifyInstance;
  let base: string;
  let firstParty: { id: string; secret: string };
  let thirdParty: { id: string; secret: string };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    context = await createTestContext(dialect, { env: { KEYSLIP_BASE_URL: base } });
    // oidc-provider keeps wall-clock time; Keyslip's sessions must agree with it here.
    deps = { ...context.deps, clock: systemClock };
    app = await buildApp(deps);
    await app.listen({ port, host: '127.0.0.1' });
    const first = await createOidcClient(
      deps,
      {
        name: 'Intranet',
        redirectUris: [REDIRECT_URI],
        postLogoutRedirectUris: [POST_LOGOUT_URI],
        firstParty: true,
        syntheticEmailDomain: 'staff.example.org',
      },
      CLI_ACTOR,
    );
    firstParty = { id: first.client.clientId, secret: first.clientSecret! };
    const third = await createOidcClient(deps, { name: 'Rota Planner', redirectUris: [REDIRECT_URI] }, CLI_ACTOR);
    thirdParty = { id: third.client.clientId, secret: third.clientSecret! };
  });
  afterAll(async () => {
    await app?.close();
    await context?.close();
  });

  async function activePerson(
    username: string,
    extra: { email?: string; role?: 'admin' } = {},
  ): Promise<{ id: string; username: string }> {
    const person = await createPerson(
      deps,
      { name: `Person ${username}`, username, employeeId: `E-${username}`, department: 'Bakery', ...extra },
      CLI_ACTOR,
    );
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, { code: issued.code, username, password: PASSWORD, client: clientInfo() });
    return { id: person.id, username };
  }

  async function rp(who: { id: string; secret: string }): Promise<client.Configuration> {
    return client.discovery(new URL(base), who.id, who.secret, client.ClientSecretBasic(who.secret), {
      execute: [client.allowInsecureRequests],
    });
  }

  async function startAuthorization(config: client.Configuration, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email keyslip offline_access',
      prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    return { url: url.href, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
  }

  /** Authorize → Keyslip's /login → sign in → back at the app's redirect URI with a code. */
  async function signInThroughLogin(
    browser: Browser,
    authorizeUrl: string,
    person: { username: string },
  ): Promise<string> {
    const toLogin = await browser.follow(authorizeUrl);
    expect(toLogin.page?.url).toMatch(/\/login\?interaction=/);
    const page = toLogin.page!.body;
    const done = await browser.follow('/login', {
      form: {
        _csrf: field(page, '_csrf'),
        interaction: field(page, 'interaction'),
        login: person.username,
        password: PASSWORD,
      },
    });
    if (!done.leftTo) throw new Error(`did not return to the app:\n${done.page?.body.slice(0, 1500)}`);
    return done.leftTo;
  }

  it('publishes discovery under the issuer, naming every endpoint, code flow and PKCE S256 only', async () => {
    const config = await rp(firstParty);
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(base);
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'end_session_endpoint',
    ] as const) {
      expect(String(meta[endpoint])).toMatch(new RegExp(`^${base}/oidc/`));
    }
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'keyslip', 'offline_access']),
    );
    expect(meta.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
  });

  it(
    'signs a person in through /login: code + PKCE, ID token ' +
      'verified against the JWKS, userinfo with the §8 claims',
    async () => {
      const person = await activePerson('anna.berg');
      const bakery = await createArea(deps, 'Bakery 7', CLI_ACTOR);
      await addAreaMember(deps, bakery.id, person.id, CLI_ACTOR);
      const config = await rp(firstParty);
      const { url, checks } = await startAuthorization(config);
      const callback = await signInThroughLogin(new Browser(base), url, person);
      expect(callback.startsWith(REDIRECT_URI)).toBe(true);

      const tokens = await client.authorizationCodeGrant(config, new URL(callback), checks);
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, {
        issuer: base,
        audience: firstParty.id,
      });
      expect(payload.sub).toBe(person.id);
      expect(payload.nonce).toBe(checks.expectedNonce);
      expect(protectedHeader.alg).toBe('RS256');

      const info = await client.fetchUserInfo(config, tokens.access_token, person.id);
      // No email of her own, and the app has a synthetic-email domain: username@domain, unverified.
      expect(info).toMatchObject({
        sub: person.id,
        name: 'Person anna.berg',
        preferred_username: 'anna.berg',
        email: 'anna.berg@staff.example.org',
        email_verified: false,
        employee_id: 'E-anna.berg',
        department: 'Bakery',
        role: 'member',
        areas: ['Bakery 7'],
      });
      expect(tokens.expires_in).toBe(600);
    },
  );

  it('rotates refresh tokens, and a replayed refresh token ends the grant', async () => {
    const person = await activePerson('bo.lind', { email: 'bo@example.org' });
    const config = await rp(firstParty);
    const { url, checks } = await startAuthorization(config);
    const callback = await signInThroughLogin(new Browser(base), url, person);
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), checks);
    expect(tokens.refresh_token).toBeTruthy();

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const info = await client.fetchUserInfo(config, refreshed.access_token, person.id);
    expect(info).toMatchObject({ email: 'bo@example.org', email_verified: true });

    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // A replayed refresh token ends the whole grant, the rotated token with it (token theft).
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a replayed authorization code, and revokes what the code gave', async () => {
    const person = await activePerson('britt.al');
    const config = await rp(firstParty);
    const { url, checks } = await startAuthorization(config);
    const callback = await signInThroughLogin(new Browser(base), url, person);
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), checks);
    await expect(client.authorizationCodeGrant(config, new URL(callback), checks)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.fetchUserInfo(config, tokens.access_token, person.id)).rejects.toBeDefined();
  });

  it(
    'refuses a wrong redirect URI and an unknown client on ' +
      'its own page, and a request without PKCE back at the app',
    async () => {
      const config = await rp(firstParty);
      const browser = new Browser(base);

      const wrongRedirect = await startAuthorization(config, { redirect_uri: 'http://127.0.0.1:9/elsewhere' });
      const wrong = await browser.follow(wrongRedirect.url);
      expect(wrong.leftTo).toBeUndefined();
      expect(wrong.page?.status).toBe(400);
      expect(wrong.page?.body).toContain('invalid_redirect_uri');

      const unknown = await browser.follow(
        wrongRedirect.url.replace(`client_id=${firstParty.id}`, 'client_id=no-such-app'),
      );
      expect(unknown.leftTo).toBeUndefined();
      expect(unknown.page?.status).toBe(400);
      expect(unknown.page?.body).toContain('invalid_client');

      const noPkce = new URL(
        client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's1' }),
      );
      const refused = await browser.follow(noPkce.href);
      expect(refused.leftTo).toBeDefined();
      const back = new URL(refused.leftTo!);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
      expect(back.searchParams.get('state')).toBe('s1');
    },
  );

  it('refuses a confidential client with a wrong secret at the token endpoint', async () => {
    const config = await client.discovery(
      new URL(base),
      firstParty.id,
      'wrong-secret',
      client.ClientSecretBasic('wrong-secret'),
      { execute: [client.allowInsecureRequests] },
    );
    const refused = await client.refreshTokenGrant(config, 'whatever').catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
  });

  it.each(['en', 'sv'] as const)(
    'takes an unclaimed worker from the app through "Have an access code?" and back, signed in (%s)',
    async (locale) => {
      const person = await createPerson(deps, { name: `Worker ${locale}`, employeeId: `W-${locale}` }, CLI_ACTOR);
      const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
      const config = await rp(firstParty);
      const { url, checks } = await startAuthorization(config);
      const browser = new Browser(base, { 'accept-language': locale });

      const login = (await browser.follow(url)).page!;
      expect(login.body).toContain(`<html lang="${locale}">`);
      const link = /href="(\/work\/accesscode\?interaction=[^"]+)"/.exec(login.body);
      expect(link).not.toBeNull();
      const codePage = (await browser.follow(link![1]!)).page!;
      expect(codePage.body).toContain(`<html lang="${locale}">`);
      const interaction = field(codePage.body, 'interaction');
      const choose = (
        await browser.follow('/work/accesscode', {
          form: { _csrf: field(codePage.body, '_csrf'), step: 'check', code: issued.code, interaction },
        })
      ).page!;
      const username = `worker.${locale}`;
      const password = (
        await browser.follow('/work/accesscode', {
          form: {
            _csrf: field(choose.body, '_csrf'),
            step: 'choose',
            code: issued.code,
            username,
            interaction: field(choose.body, 'interaction'),
          },
        })
      ).page!;
      const done = await browser.follow('/work/accesscode', {
        form: {
          _csrf: field(password.body, '_csrf'),
          step: 'redeem',
          code: issued.code,
          username,
          password: PASSWORD,
          password2: PASSWORD,
          interaction: field(password.body, 'interaction'),
        },
      });
      expect(done.leftTo?.startsWith(REDIRECT_URI)).toBe(true);
      const tokens = await client.authorizationCodeGrant(config, new URL(done.leftTo!), checks);
      expect(tokens.claims()?.sub).toBe(person.id);
      const info = await client.fetchUserInfo(config, tokens.access_token, person.id);
      expect(info.preferred_username).toBe(username);
    },
  );

  it("asks a third-party app's consent once, remembers it, and skips it for first-party apps", async () => {
    const person = await activePerson('cecilia.holm');
    const config = await rp(thirdParty);
    const browser = new Browser(base);
    const first = await startAuthorization(config, { prompt: 'login' });
    const toLogin = (await browser.follow(first.url)).page!;
    const consent = await browser.follow('/login', {
      form: {
        _csrf: field(toLogin.body, '_csrf'),
        interaction: field(toLogin.body, 'interaction'),
        login: person.username,
        password: PASSWORD,
      },
    });
    expect(consent.page?.body).toContain('Allow Rota Planner?');
    const action = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(consent.page!.body)![1]!;
    const allowed = await browser.follow(action, {
      form: { _csrf: field(consent.page!.body, '_csrf'), decision: 'allow' },
    });
    expect(allowed.leftTo?.startsWith(REDIRECT_URI), allowed.page?.body.slice(0, 3000)).toBe(true);

    // Same browser, a new sign-in request from the app: no consent page, straight back.
    const again = await startAuthorization(config, { prompt: '', scope: 'openid profile' });
    const second = await browser.follow(again.url.replace('&prompt=', ''));
    expect(second.leftTo?.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, new URL(second.leftTo!), again.checks);
    expect(tokens.claims()?.sub).toBe(person.id);
  });

  it('forces a fresh sign-in for prompt=login, prefills login_hint, and speaks the ui_locales language', async () => {
    const person = await activePerson('dan.ek');
    const config = await rp(firstParty);
    const browser = new Browser(base);
    const first = await startAuthorization(config);
    await signInThroughLogin(browser, first.url, person);

    const again = await startAuthorization(config, { prompt: 'login', login_hint: 'dan.ek', ui_locales: 'sv-SE en' });
    const login = await browser.follow(again.url);
    expect(login.page?.url).toMatch(/\/login\?interaction=/);
    expect(login.page?.body).toContain('<html lang="sv">');
    expect(login.page?.body).toMatch(/id="login"[^>]*value="dan.ek"/);
  });

  it('forces a fresh sign-in when max_age is shorter than the session; auth_time is in the ID token', async () => {
    const person = await activePerson('frida.max');
    const config = await rp(firstParty);
    const browser = new Browser(base);
    const first = await startAuthorization(config);
    await signInThroughLogin(browser, first.url, person);

    // A generous max_age: the session answers, no page is shown, auth_time is that sign-in.
    const recent = await startAuthorization(config, { max_age: '3600' });
    const straight = await browser.follow(recent.url);
    expect(straight.leftTo?.startsWith(REDIRECT_URI), straight.page?.url).toBe(true);
    const recentTokens = await client.authorizationCodeGrant(config, new URL(straight.leftTo!), {
      ...recent.checks,
      maxAge: 3600,
    });
    const signedInAt = recentTokens.claims()!.auth_time!;
    expect(typeof signedInAt).toBe('number');

    // Once the session is older than max_age=1 (auth_time counts whole seconds), the app's
    // request lands on the sign-in page, and the ID token tells of the new sign-in.
    while (Math.floor(Date.now() / 1000) < signedInAt + 2) await new Promise((done) => setTimeout(done, 100));
    const stale = await startAuthorization(config, { max_age: '1' });
    const login = await browser.follow(stale.url);
    expect(login.leftTo).toBeUndefined();
    expect(login.page?.url).toMatch(/\/login\?interaction=/);
    expect(login.page?.body).toContain('id="password"');
    const beforeFreshSignIn = Math.floor(Date.now() / 1000);
    const done = await browser.follow('/login', {
      form: {
        _csrf: field(login.page!.body, '_csrf'),
        interaction: field(login.page!.body, 'interaction'),
        login: person.username,
        password: PASSWORD,
      },
    });
    expect(done.leftTo?.startsWith(REDIRECT_URI), done.page?.body.slice(0, 1500)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, new URL(done.leftTo!), {
      ...stale.checks,
      maxAge: 1,
    });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(person.id);
    expect(claims.auth_time).toBeGreaterThanOrEqual(beforeFreshSignIn);
    expect(claims.auth_time).toBeGreaterThan(signedInAt);
  });

  it('lets exactly one of 20 parallel exchanges of one code win', async () => {
    const person = await activePerson('eva.nord');
    const config = await rp(firstParty);
    const { url, checks } = await startAuthorization(config);
    const callback = await signInThroughLogin(new Browser(base), url, person);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.authorizationCodeGrant(config, new URL(callback), checks)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('remembers a third-party consent across sign-ins (a new browser session)', async () => {
    const person = await activePerson('dora.vik');
    const config = await rp(thirdParty);
    const once = new Browser(base);
    const first = await startAuthorization(config, { prompt: '' });
    const consent = await (async () => {
      const toLogin = (await once.follow(first.url.replace('&prompt=', ''))).page!;
      return once.follow('/login', {
        form: {
          _csrf: field(toLogin.body, '_csrf'),
          interaction: field(toLogin.body, 'interaction'),
          login: person.username,
          password: PASSWORD,
        },
      });
    })();
    const action = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(consent.page!.body)![1]!;
    expect(
      (await once.follow(action, { form: { _csrf: field(consent.page!.body, '_csrf'), decision: 'allow' } })).leftTo,
    ).toBeDefined();

    const later = new Browser(base);
    const second = await startAuthorization(config, { prompt: '' });
    const callback = await signInThroughLogin(later, second.url.replace('&prompt=', ''), person);
    expect(callback.startsWith(REDIRECT_URI)).toBe(true);
  });

  it('sends a person who declines consent back to the app with access_denied', async () => {
    const person = await activePerson('eli.sand');
    const config = await rp(thirdParty);
    const browser = new Browser(base);
    const { url } = await startAuthorization(config);
    const toLogin = (await browser.follow(url)).page!;
    const consent = await browser.follow('/login', {
      form: {
        _csrf: field(toLogin.body, '_csrf'),
        interaction: field(toLogin.body, 'interaction'),
        login: person.username,
        password: PASSWORD,
      },
    });
    const action = /action="(\/oidc\/interaction\/[^"]+\/consent)"/.exec(consent.page!.body)![1]!;
    const denied = await browser.follow(action, {
      form: { _csrf: field(consent.page!.body, '_csrf'), decision: 'deny' },
    });
    expect(new URL(denied.leftTo!).searchParams.get('error')).toBe('access_denied');
  });

  it("stops a deactivated person's refresh token and access token at their next use", async () => {
    const person = await activePerson('frans.ek');
    const config = await rp(firstParty);
    const { url, checks } = await startAuthorization(config);
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(await signInThroughLogin(new Browser(base), url, person)),
      checks,
    );
    await deactivatePerson(deps, person.id, CLI_ACTOR);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.fetchUserInfo(config, tokens.access_token, person.id)).rejects.toBeDefined();
  });

  it(
    'signs out at the end_session_endpoint (RP-initiated logout): ' +
      'back to the registered URI, Keyslip session ended too',
    async () => {
      const person = await activePerson('greta.ros');
      const config = await rp(firstParty);
      const browser = new Browser(base);
      const { url, checks } = await startAuthorization(config);
      const tokens = await client.authorizationCodeGrant(
        config,
        new URL(await signInThroughLogin(browser, url, person)),
        checks,
      );
      expect((await browser.request('/')).status).toBe(200);

      const logoutUrl = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: POST_LOGOUT_URI,
        state: 'bye',
      });
      const prompt = await browser.request(logoutUrl.href);
      expect(prompt.status).toBe(200);
      expect(prompt.body).toContain('Sign out?');
      const xsrf = field(prompt.body, 'xsrf');
      const action = /<form[^>]*action="([^"]+)"/.exec(prompt.body)![1]!.replace(/&amp;/g, '&');
      const done = await browser.follow(action, { form: { xsrf, logout: 'yes' } });
      expect(done.leftTo).toBe(`${POST_LOGOUT_URI}?state=bye`);
      // The Keyslip session is over as well: the home page sends to /login.
      const home = await browser.request('/');
      expect(home.status).toBe(303);
      expect(home.location).toMatch(/\/login$/);
      // A post-logout URI that is not registered is refused, not followed.
      const wrong = await browser.request(
        client.buildEndSessionUrl(config, {
          post_logout_redirect_uri: 'http://127.0.0.1:9/evil',
          client_id: firstParty.id,
        }).href,
      );
      expect(wrong.status).toBe(400);
    },
  );

  it(
    'serves response_mode=form_post with a CSP that lets ' + 'its one script run and its form post to the app',
    async () => {
      const person = await activePerson('hugo.berg');
      const config = await rp(firstParty);
      const browser = new Browser(base);
      const first = await startAuthorization(config);
      await signInThroughLogin(browser, first.url, person);
      const { url } = await startAuthorization(config, { response_mode: 'form_post', prompt: '' });
      const response = await fetch(url.replace('&prompt=', ''), {
        redirect: 'manual',
        headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      const page = await response.text();
      expect(response.status).toBe(200);
      expect(page).toContain(`action="${REDIRECT_URI}"`);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).not.toMatch(/form-action/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
    },
  );

  it(
    'recovery reaches the app: a valid logout_token at its ' +
      'back-channel URI, its refresh and access tokens refused',
    async () => {
      const received: string[] = [];
      const receiver = http.createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          received.push(new URLSearchParams(body).get('logout_token') ?? '');
          response.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const port = (receiver.address() as net.AddressInfo).port;
        const created = await createOidcClient(
          deps,
          {
            name: 'Scheduler',
            redirectUris: [REDIRECT_URI],
            firstParty: true,
            backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel`,
          },
          CLI_ACTOR,
        );
        const app = { id: created.client.clientId, secret: created.clientSecret! };
        const person = await activePerson('ines.falk');
        const config = await rp(app);
        const { url, checks } = await startAuthorization(config);
        const tokens = await client.authorizationCodeGrant(
          config,
          new URL(await signInThroughLogin(new Browser(base), url, person)),
          checks,
        );
        const sid = decodeJwt(tokens.id_token!).sid;
        expect(sid).toEqual(expect.any(String));

        // The worker forgot the password: a recovery code, redeemed.
        const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
        await redeemAccessCode(deps, {
          code: issued.code,
          username: person.username,
          password: 'a brand new password for ines',
          client: clientInfo(),
        });
        await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
          error: 'invalid_grant',
        });
        await expect(client.fetchUserInfo(config, tokens.access_token, person.id)).rejects.toBeDefined();

        expect(await deliverDueLogouts(deps)).toBe(1);
        expect(received).toHaveLength(1);
        const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
        const { payload, protectedHeader } = await jwtVerify(received[0]!, jwks, {
          issuer: base,
          audience: app.id,
          typ: 'logout+jwt',
        });
        expect(payload.sub).toBe(person.id);
        expect(payload.sid).toBe(sid);
        expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
        expect(payload.jti).toEqual(expect.any(String));
        expect(payload.nonce).toBeUndefined();
        expect(protectedHeader.alg).toBe('RS256');
        // Delivered once: nothing more is due.
        expect(await deliverDueLogouts(deps)).toBe(0);
        const audit = await deps.db
          .selectFrom('audit_events')
          .select('details')
          .where('action', '=', 'oidc.logout_sent')
          .where('person_id', '=', person.id)
          .execute();
        expect(audit).toHaveLength(1);
        expect(audit[0]!.details).not.toContain(received[0]!.slice(0, 20));
      } finally {
        await new Promise((resolve) => receiver.close(resolve));
      }
    },
  );

  it.each(['en', 'sv'] as const)(
    'lets an admin add an app on the Apps page (%s), showing its secret once, and remove it',
    async (locale) => {
      const adminPerson = await activePerson(`admin.${locale}`, { role: 'admin' });
      const browser = new Browser(base, { 'accept-language': locale });
      const login = (await browser.follow('/login')).page!;
      await browser.follow('/login', {
        form: { _csrf: field(login.body, '_csrf'), login: adminPerson.username, password: PASSWORD },
      });
      const apps = (await browser.follow('/admin/apps')).page!;
      expect(apps.status).toBe(200);
      expect(apps.body).toContain(locale === 'en' ? '<h1>Apps</h1>' : '<h1>Appar</h1>');
      expect(apps.body).toContain('href="/admin/apps" aria-current="page"');

      const bad = await browser.follow('/admin/apps', {
        form: { _csrf: field(apps.body, '_csrf'), name: 'Bad', redirectUris: 'http://bad.example.org/cb' },
      });
      expect(bad.page?.status).toBe(400);
      expect(bad.page?.body).toContain('error-summary');

      const added = await browser.request('/admin/apps', {
        form: {
          _csrf: field(apps.body, '_csrf'),
          name: `Wiki ${locale}`,
          redirectUris: 'https://wiki.example.org/cb\nhttps://wiki.example.org/cb2',
          firstParty: '1',
        },
      });
      expect(added.status).toBe(303);
      const shown = await browser.request(added.location!);
      const secret = /<code id="client-secret">([^<]+)<\/code>/.exec(shown.body)?.[1];
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const clientId = new URL(added.location!).pathname.split('/').pop()!;
      const row = await deps.db
        .selectFrom('oidc_clients')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(row.redirect_uris)).toEqual(['https://wiki.example.org/cb', 'https://wiki.example.org/cb2']);
      // A reload shows the app, never the secret again.
      const reloaded = await browser.request(added.location!);
      expect(reloaded.body).not.toContain(secret!);

      const list = (await browser.follow('/admin/apps')).page!;
      expect(list.body).toContain(clientId);
      const removed = await browser.follow(`/admin/apps/${clientId}/delete`, {
        form: { _csrf: field(list.body, '_csrf') },
      });
      expect(removed.page?.url).toMatch(/\/admin\/apps\?removed=1$/);
      expect(removed.page?.body).not.toContain(clientId);
    },
  );

  it('keeps the Apps page from people who are not admins', async () => {
    const member = await activePerson('member.only');
    const browser = new Browser(base);
    const login = (await browser.follow('/login')).page!;
    await browser.follow('/login', {
      form: { _csrf: field(login.body, '_csrf'), login: member.username, password: PASSWORD },
    });
    expect((await browser.request('/admin/apps')).status).toBe(403);
    expect((await new Browser(base).request('/admin/apps')).status).toBe(303);
  });

  it("stops a removed app's refresh and access tokens at their next use", async () => {
    const created = await createOidcClient(
      deps,
      { name: 'Short-lived', redirectUris: [REDIRECT_URI], firstParty: true },
      CLI_ACTOR,
    );
    const app = { id: created.client.clientId, secret: created.clientSecret! };
    const person = await activePerson('jon.removed');
    const config = await rp(app);
    const { url, checks } = await startAuthorization(config);
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(await signInThroughLogin(new Browser(base), url, person)),
      checks,
    );
    await deleteOidcClient(deps, app.id, CLI_ACTOR);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toBeDefined();
    const info = await fetch(config.serverMetadata().userinfo_endpoint!, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(401);
  });
});
