// Keyslip's OpenID Connect pages in a real Chromium: an app (a tiny relying party in this test,
// built on openid-client) sends the browser to Keyslip; the person signs in on /login or redeems
// an access code, allows a third-party app on the consent page, and lands back in the app signed
// in. Every Keyslip page on the way passes axe (WCAG 2.2 AA) at 390 px (a phone) and 1280 px, in
// English and in Swedish (asked for by the app with ui_locales=sv).
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as client from 'openid-client';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { LABELS } from '../../src/http/labels.js';
import { createOidcClient } from '../../src/oidc/oidc-clients.service.js';
import { createPerson } from '../../src/people/people.service.js';
import {
  checkA11y,
  HAS_CHROMIUM,
  launchBrowser,
  screenshot,
  SKIP_REASON,
  startServer,
  type TestServer,
} from './helpers/browser.js';

const PASSWORD = 'green ferry past the lighthouse';
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The app: /start sends the browser to Keyslip (code flow, PKCE S256, state, nonce; ui_locales
 * passed on), /callback exchanges the code with openid-client and greets the person by name.
 */
async function startRelyingParty(
  keyslip: string,
  register: (redirectUri: string) => Promise<{ id: string; secret: string }>,
): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const registered = await register(`${url}/callback`);
  const config = await client.discovery(
    new URL(keyslip),
    registered.id,
    registered.secret,
    client.ClientSecretBasic(registered.secret),
    { execute: [client.allowInsecureRequests] },
  );
  const pending = new Map<string, { verifier: string; nonce: string }>();
  const server = http.createServer((request, response) => {
    const here = new URL(request.url ?? '/', url);
    const answer = async (): Promise<void> => {
      if (here.pathname === '/start') {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        pending.set(state, { verifier, nonce });
        const locales = here.searchParams.get('ui_locales');
        const target = client.buildAuthorizationUrl(config, {
          redirect_uri: `${url}/callback`,
          scope: 'openid profile',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
          ...(locales ? { ui_locales: locales } : {}),
        });
        response.writeHead(302, { location: target.href }).end();
        return;
      }
      if (here.pathname === '/callback') {
        const state = here.searchParams.get('state') ?? '';
        const checks = pending.get(state);
        if (!checks) throw new Error('unknown state');
        pending.delete(state);
        const tokens = await client.authorizationCodeGrant(config, here, {
          pkceCodeVerifier: checks.verifier,
          expectedState: state,
          expectedNonce: checks.nonce,
        });
        const sub = tokens.claims()!.sub;
        const info = await client.fetchUserInfo(config, tokens.access_token, sub);
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            '<!doctype html><html lang="en"><title>Rota</title>' +
              `<h1>Signed in as ${String(info.preferred_username)}</h1>`,
          );
        return;
      }
      response.writeHead(404).end();
    };
    answer().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`app error: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!HAS_CHROMIUM)(`OpenID Connect pages in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;
  let rota: { url: string; close(): Promise<void> };
  let intranet: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    // oidc-provider keeps wall-clock time; Keyslip's sessions must agree with it.
    server = await startServer({}, { wallClock: true });
    rota = await startRelyingParty(server.baseUrl, async (redirectUri) => {
      // A third-party app (consent asked once), with a launch URL: a button on home afterwards.
      const created = await createOidcClient(
        server.context.deps,
        { name: 'Rota Planner', redirectUris: [redirectUri], launchUrl: `${new URL(redirectUri).origin}/start` },
        CLI_ACTOR,
      );
      return { id: created.client.clientId, secret: created.clientSecret! };
    });
    intranet = await startRelyingParty(server.baseUrl, async (redirectUri) => {
      // A first-party app: no consent page, so the sign-in form's answer leads straight to the app.
      const created = await createOidcClient(
        server.context.deps,
        { name: 'Intranet', redirectUris: [redirectUri], firstParty: true },
        CLI_ACTOR,
      );
      return { id: created.client.clientId, secret: created.clientSecret! };
    });
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await intranet?.close();
    await rota?.close();
    await server?.close();
  });

  /** axe at zero violations and nothing wider than the screen, at a phone's width and a desktop's. */
  async function expectGoodPage(page: Page, name: string): Promise<void> {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const violations = await checkA11y(page);
      expect(violations, `${name} at ${viewport.width}px: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} is wider than ${viewport.width}px`).toBeLessThanOrEqual(0);
      await screenshot(page, `oidc-${name}-${viewport.width}`);
    }
  }

  it('signs a person in from the app through /login and the consent page, and back (English)', async () => {
    const { deps } = server.context;
    const person = await createPerson(deps, { name: 'Maja Lund', username: 'maja.lund' }, CLI_ACTOR);
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: issued.code,
      username: 'maja.lund',
      password: PASSWORD,
      client: { ip: '10.1.1.1', userAgent: null },
    });
    const context = await browser.newContext({
      locale: 'en-GB',
      extraHTTPHeaders: { 'accept-language': 'en-GB,en;q=0.9' },
    });
    const page = await context.newPage();

    await page.goto(`${rota.url}/start`);
    await page.waitForURL(/\/login\?interaction=/);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe(LABELS.en.signIn);
    await expectGoodPage(page, 'login-en');

    await page.locator('#login').fill('maja.lund');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('form[action="/login"] button[type="submit"]').click();
    await page.waitForURL(/\/oidc\/interaction\/[^/]+$/);
    expect(await page.locator('h1').textContent()).toBe('Allow Rota Planner?');
    await expectGoodPage(page, 'consent-en');

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rota.url}/callback?**`);
    expect(await page.locator('h1').textContent()).toBe('Signed in as maja.lund');
    await context.close();
  }, 180_000);

  it('takes a worker from the app through "Har du en åtkomstkod?" and back, in Swedish by ui_locales', async () => {
    const { deps } = server.context;
    const person = await createPerson(deps, { name: 'Nils Ek', employeeId: 'N-7' }, CLI_ACTOR);
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    // The browser speaks English; the app asks for Swedish.
    const context = await browser.newContext({
      locale: 'en-GB',
      extraHTTPHeaders: { 'accept-language': 'en-GB,en;q=0.9' },
    });
    const page = await context.newPage();

    await page.goto(`${rota.url}/start?ui_locales=sv-SE`);
    await page.waitForURL(/\/login\?interaction=/);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    expect(await page.locator('h1').textContent()).toBe(LABELS.sv.signIn);
    await expectGoodPage(page, 'login-sv');

    await page.getByRole('link', { name: LABELS.sv.haveAccessCode }).click();
    await page.waitForURL(/\/work\/accesscode\?interaction=/);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    await expectGoodPage(page, 'accesscode-sv');

    await page.locator('#code').fill(issued.code);
    await page.locator('#code-form button[type="submit"]').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Välj ett användarnamn');
    await page.locator('#username').fill('nils.ek');
    await page.locator('#choose-form button[type="submit"]').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Välj ett nytt lösenord');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password2').fill(PASSWORD);
    await page.getByRole('button', { name: 'Spara lösenordet och logga in' }).click();

    await page.waitForURL(/\/oidc\/interaction\/[^/]+$/);
    expect(await page.locator('h1').textContent()).toBe('Tillåta Rota Planner?');
    await expectGoodPage(page, 'consent-sv');
    await page.getByRole('button', { name: 'Tillåt' }).click();
    await page.waitForURL(`${rota.url}/callback?**`);
    expect(await page.locator('h1').textContent()).toBe('Signed in as nils.ek');

    // Back on Keyslip, the app is a button on home (in Swedish, the language the app chose).
    await page.goto(`${server.baseUrl}/`);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    const button = page.getByRole('link', { name: 'Rota Planner' });
    expect(await button.getAttribute('href')).toBe(`${rota.url}/start`);
    expect(await page.locator('#apps-heading').textContent()).toBe('Dina appar');
    // Its history names the app, in words: no audit action or client id on a worker's page.
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('Du loggade in i Rota Planner');
    expect(main).not.toContain('oidc.');
    await expectGoodPage(page, 'home-apps-sv');
    await context.close();
  }, 180_000);

  it("returns from /login straight to a first-party app (the form's redirects may end at the app)", async () => {
    const { deps } = server.context;
    const person = await createPerson(deps, { name: 'Olle Dahl', username: 'olle.dahl' }, CLI_ACTOR);
    const issued = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: issued.code,
      username: 'olle.dahl',
      password: PASSWORD,
      client: { ip: '10.1.1.1', userAgent: null },
    });
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/.test(message.text())) blocked.push(message.text());
    });
    const loginResponse = page.waitForResponse((response) => response.url().includes('/login?interaction='));
    await page.goto(`${intranet.url}/start`);
    await page.waitForURL(/\/login\?interaction=/);
    // Only this app's origin is added to form-action, and only on this sign-in's pages.
    expect((await loginResponse).headers()['content-security-policy']).toContain(`form-action 'self' ${intranet.url}`);
    await page.locator('#login').fill('olle.dahl');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('form[action="/login"] button[type="submit"]').click();
    await page.waitForURL(`${intranet.url}/callback?**`);
    expect(await page.locator('h1').textContent()).toBe('Signed in as olle.dahl');
    expect(blocked).toEqual([]);

    const plain = await page.goto(`${server.baseUrl}/login`);
    expect(plain?.headers()['content-security-policy']).toContain("form-action 'self';");
    await context.close();
  }, 180_000);
});
