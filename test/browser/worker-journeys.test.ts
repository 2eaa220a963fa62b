// The worker's journeys of the UX review (December 2026), in Chromium at a phone's 390 px and a
// desktop's 1280 px, in Swedish and English, with axe at zero violations on every page they see:
// 1. a worker on a phone types a slip with typos, is helped to a free username and a password;
// 2. a worker who forgot the password asks for a new code from /login, and a signed-in one
//    changes theirs. Screenshots: test-artifacts/screenshots/frontline-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import type { Locale } from '../../src/http/i18n.js';
import { LABELS } from '../../src/http/labels.js';
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

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const RUNS = [
  { locale: 'sv', viewport: PHONE, tag: 'sv-390' },
  { locale: 'en', viewport: PHONE, tag: 'en-390' },
  { locale: 'sv', viewport: DESKTOP, tag: 'sv-1280' },
  { locale: 'en', viewport: DESKTOP, tag: 'en-1280' },
] as const;

const WORDS = {
  sv: {
    never: '”I” finns aldrig i en kod – står det J, L eller T?',
    count: '16 av 16 bokstäver',
    short: 'Du har skrivit 15 av de 16 bokstäverna.',
    taken: 'är upptaget',
    free: 'De här är lediga',
    common: 'för vanligt',
    save: 'Spara lösenordet och logga in',
    password: 'Nytt lösenord',
    again: 'Nytt lösenord igen',
    continue: 'Fortsätt',
    yourUsername: 'Ditt användarnamn är',
    asked: 'Tack. Om det är ditt användarnamn eller anställningsnummer',
    askField: 'Användarnamn eller anställningsnummer',
    change: 'Byt lösenord',
    current: 'Nuvarande lösenord',
    changed: 'Ditt lösenord är bytt.',
  },
  en: {
    never: '“I” is never in a code: is it J, L or T?',
    count: '16 of 16 letters',
    short: 'You typed 15 of the 16 letters.',
    taken: 'is taken',
    free: 'These are free',
    common: 'too common',
    save: 'Save password and sign in',
    password: 'New password',
    again: 'New password again',
    continue: 'Continue',
    yourUsername: 'Your username is',
    asked: 'Thank you. If that is your username or employee id',
    askField: 'Username or employee id',
    change: 'Change password',
    current: 'Current password',
    changed: 'Your password is changed.',
  },
} as const;

describe.skipIf(!HAS_CHROMIUM)(`worker journeys in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    // A colleague with email already has the username Sara would pick.
    await createPerson(server.context.deps, { name: 'Sara Sjögren', username: 'sara.sjogren' }, CLI_ACTOR);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newContext(locale: Locale, viewport: { width: number; height: number }): Promise<BrowserContext> {
    return browser.newContext({
      locale: locale === 'sv' ? 'sv-SE' : 'en-GB',
      extraHTTPHeaders: { 'accept-language': locale === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
      viewport,
      ...(viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
  }

  async function expectAccessible(page: Page, what: string): Promise<void> {
    const violations = await checkA11y(page);
    expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  /** Nothing wider than the window: no sideways scrolling on a phone. */
  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    const [scroll, client] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.clientWidth,
    ]);
    expect(scroll).toBeLessThanOrEqual(client);
  }

  for (const run of RUNS) {
    it(`a worker types a slip with typos, takes a free username and sets a password (${run.tag})`, async () => {
      const w = WORDS[run.locale];
      const { deps } = server.context;
      const person = await createPerson(
        deps,
        { name: 'Sara Sjögren', employeeId: `E214-${run.tag}`, location: `Butik 214 ${run.tag.replace('-', '')}` },
        CLI_ACTOR,
      );
      const { code } = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
      const letters = code.replace(/-/g, '');
      const context = await newContext(run.locale, run.viewport);
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));

      await page.goto(`${server.baseUrl}/work/accesscode`);
      const field = page.getByLabel(LABELS[run.locale].accessCode);
      // An I where a J is: said at once, before anything is sent.
      await field.pressSequentially(`${letters.slice(0, 4)} ${letters.slice(4, 8)} ${letters.slice(8, 11)}I`);
      await expect.poll(() => page.locator('#code-status').textContent()).toBe(w.never);
      await screenshot(page, `frontline-code-typo-${run.tag}`);
      await expectAccessible(page, 'code step with an impossible letter');
      await expectNoSidewaysScroll(page);

      // A letter short, sent anyway: the page says how many, and nothing counts against the shop.
      await field.fill(letters.slice(0, 15).toLowerCase());
      await expect.poll(() => page.locator('#code-status').textContent()).toContain('15');
      await page.getByRole('button', { name: w.continue }).click();
      await expect.poll(() => page.locator('#step-error').textContent()).toContain(w.short);
      await expectAccessible(page, 'code step refused as a non-code');

      // The right code, small letters with spaces.
      await field.fill(letters.toLowerCase().replace(/(.{4})(?!$)/g, '$1 '));
      await expect.poll(() => page.locator('#code-status').textContent()).toContain(w.count);
      await page.getByRole('button', { name: w.continue }).click();

      // A username made from her name (sara.sjogren is a colleague's): the free one is filled in.
      const username = page.locator('#username');
      const suggested = `sara.sjogren.butik214${run.tag.replace('-', '')}`.slice(0, 64);
      await expect.poll(() => username.inputValue()).toBe(`sara.sjogren.${run.tag.replace('-', '')}`);
      await expectAccessible(page, 'choose step with a suggestion');
      await expectNoSidewaysScroll(page);
      // She types her usual one: taken, and free ones are offered to tap.
      await username.fill('sara.sjogren');
      await expect.poll(() => page.locator('#username-status').textContent()).toContain(w.taken);
      await expect.poll(() => page.locator('#username-choices').isVisible()).toBe(true);
      expect(await page.locator('#username-choices').textContent()).toContain(w.free);
      await screenshot(page, `frontline-username-taken-${run.tag}`);
      await expectAccessible(page, 'choose step with a taken username');
      const choice = page.locator('#username-choices button').first();
      const chosen = (await choice.textContent())!.trim();
      expect(chosen).not.toBe('sara.sjogren');
      expect(suggested).toBeTruthy();
      await choice.click();

      // The password: a common Swedish one is refused, a sentence is fine.
      await page.getByLabel(w.password, { exact: true }).waitFor();
      await page.getByLabel(w.password, { exact: true }).fill('sommar123');
      await page.getByLabel(w.again).fill('sommar123');
      await page.getByRole('button', { name: w.save }).click();
      await expect.poll(() => page.locator('#step-error').textContent()).toContain(w.common);
      await expectAccessible(page, 'password step refused');
      await page.getByLabel(w.password, { exact: true }).fill('blue tram to the harbour');
      await page.getByLabel(w.again).fill('blue tram to the harbour');
      await page.getByRole('button', { name: w.save }).click();

      // The finish: the username in large type, to write down; no IP address anywhere.
      await page.waitForURL(`${server.baseUrl}/?welcome=claimed`);
      expect(await page.locator('.welcome').textContent()).toContain(w.yourUsername);
      expect((await page.locator('.username-large').textContent())?.trim()).toBe(chosen);
      expect(await page.locator('main').textContent()).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|token:/);
      await screenshot(page, `frontline-claimed-${run.tag}`);
      await expectAccessible(page, 'home after the claim');
      await expectNoSidewaysScroll(page);
      expect(
        requested.filter((url) => url.includes(letters) || url.toLowerCase().includes(letters.toLowerCase())),
      ).toEqual([]);
      await context.close();
    }, 180_000);

    it(`a worker who forgot the password asks for a new code; a signed-in one changes it (${run.tag})`, async () => {
      const w = WORDS[run.locale];
      const L = LABELS[run.locale];
      const { deps } = server.context;
      const username = `anna.${run.tag.replace('-', '')}`;
      const person = await createPerson(
        deps,
        { name: 'Anna Wójcik', username, employeeId: `E9-${run.tag}` },
        CLI_ACTOR,
      );
      const first = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
      await redeemAccessCode(deps, {
        code: first.code,
        username,
        password: 'the very first passphrase',
        client: { ip: '10.1.1.1', userAgent: null },
      });
      server.context.clock.advance(60_000);
      const context = await newContext(run.locale, run.viewport);
      const page = await context.newPage();

      await page.goto(`${server.baseUrl}/login`);
      await expectAccessible(page, '/login');
      await page.getByRole('link', { name: L.forgotPassword }).click();
      await page.waitForURL(`${server.baseUrl}/help/login#forgot`);
      // The forgotten password is the first thing on the page.
      expect(await page.locator('main h2').first().textContent()).toBe(L.forgotPassword);
      await expectAccessible(page, 'help page');
      await expectNoSidewaysScroll(page);
      await page.getByLabel(w.askField).fill(`E9-${run.tag}`);
      await page.getByRole('button', { name: L.askForNewCode }).click();
      await page.waitForURL(`${server.baseUrl}/help/login?asked=1#forgot`);
      expect(await page.locator('#ask-sent').textContent()).toContain(w.asked);
      await screenshot(page, `frontline-code-requested-${run.tag}`);
      await expectAccessible(page, 'help page after asking');
      const request = await deps.db
        .selectFrom('code_requests')
        .select('person_id')
        .where('person_id', '=', person.id)
        .executeTakeFirst();
      expect(request?.person_id).toBe(person.id);

      // Signed in, the worker can change the password without a code.
      await page.goto(`${server.baseUrl}/login`);
      await page.getByLabel(run.locale === 'sv' ? 'Användarnamn eller e-post' : 'Username or email').fill(username);
      await page
        .getByLabel(run.locale === 'sv' ? 'Lösenord' : 'Password', { exact: true })
        .fill('the very first passphrase');
      await page.locator('main').getByRole('button', { name: L.signIn }).click();
      await page.waitForURL(`${server.baseUrl}/`);
      await page.getByRole('link', { name: w.change }).click();
      await page.waitForURL(`${server.baseUrl}/account/password`);
      await expectAccessible(page, 'change password');
      await expectNoSidewaysScroll(page);
      await page.getByLabel(w.current).fill('the very first passphrase');
      await page.getByLabel(w.password, { exact: true }).fill('a brand new long passphrase');
      await page.getByLabel(w.again).fill('a brand new long passphrase');
      await page.locator('#password-form').getByRole('button', { name: w.change }).click();
      await page.waitForURL(`${server.baseUrl}/?changed=password`);
      expect(await page.locator('main').textContent()).toContain(w.changed);
      await screenshot(page, `frontline-password-changed-${run.tag}`);
      await expectAccessible(page, 'home after the change');
      await context.close();
    }, 180_000);
  }
});
