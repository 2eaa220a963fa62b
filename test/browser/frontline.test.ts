// Frontline journeys in a real Chromium against a real Keyslip server: a Swedish worker
// following a slip's QR link, a first claim choosing a username, the whole flow by keyboard
// only, and an accessibility check (axe-core, WCAG 2.2 AA) of every page in both languages.
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

const PASSWORD = 'blue tram to the harbour';

describe.skipIf(!HAS_CHROMIUM)(`frontline pages in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;
  let counter = 0;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newContext(locale: Locale, viewport = { width: 1024, height: 800 }): Promise<BrowserContext> {
    return browser.newContext({
      locale: locale === 'sv' ? 'sv-SE' : 'en-GB',
      extraHTTPHeaders: { 'accept-language': locale === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
      viewport,
    });
  }

  /** An account that has already been claimed, and a fresh recovery code for it. */
  async function activePersonWithCode(name: string): Promise<{ username: string; code: string }> {
    counter += 1;
    const username = `worker${counter}.${name.toLowerCase().replace(/[^a-z]/g, '')}`;
    const { deps } = server.context;
    const person = await createPerson(deps, { name, username }, CLI_ACTOR);
    const first = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: first.code,
      username,
      password: 'the very first passphrase',
      client: { ip: '10.1.1.1', userAgent: null },
    });
    const recovery = await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR });
    return { username, code: recovery.code };
  }

  async function unclaimedPersonWithCode(name: string, employeeId: string): Promise<{ code: string }> {
    const { deps } = server.context;
    const person = await createPerson(deps, { name, employeeId }, CLI_ACTOR);
    return { code: (await issueAccessCode(deps, { personId: person.id, actor: CLI_ACTOR })).code };
  }

  async function enterCode(page: Page, code: string): Promise<void> {
    await page.goto(`${server.baseUrl}/work/accesscode`);
    await page.locator('#code').fill(code);
    await page.locator('#code-form button[type="submit"]').click();
  }

  async function expectAccessible(page: Page, what: string): Promise<void> {
    const violations = await checkA11y(page);
    expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  it(
    'a Swedish worker follows a slip link, confirms the ' + 'username, sets a password, signs out and in again',
    async () => {
      const { username, code } = await activePersonWithCode('Åsa Öberg');
      const context = await newContext('sv');
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));

      await page.goto(`${server.baseUrl}/work/accesscode#code=${code}`);
      const field = page.getByLabel(LABELS.sv.accessCode);
      await expect.poll(() => field.inputValue()).toBe(code);
      expect(page.url()).toBe(`${server.baseUrl}/work/accesscode`);
      expect(await page.locator('html').getAttribute('lang')).toBe('sv');

      await page.getByRole('button', { name: 'Fortsätt' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Är det här ditt användarnamn?');
      expect(await page.locator('.username-box').textContent()).toBe(username);
      await page.getByRole('button', { name: 'Ja, det är jag' }).click();

      await expect.poll(() => page.locator('h1').textContent()).toBe('Välj ett nytt lösenord');
      await page.getByLabel('Nytt lösenord', { exact: true }).fill('kort');
      await expect.poll(() => page.locator('#password-strength').textContent()).toBe('För kort: 4 av minst 8 tecken.');
      await page.getByLabel('Nytt lösenord', { exact: true }).fill(PASSWORD);
      await expect.poll(() => page.locator('#password-strength').textContent()).toBe('Bra längd.');
      await page.getByLabel('Nytt lösenord igen').fill(PASSWORD);
      await expect.poll(() => page.locator('#password-match').textContent()).toBe('Lösenorden stämmer överens.');
      await page.getByRole('button', { name: 'Spara lösenordet och logga in' }).click();

      await page.waitForURL(`${server.baseUrl}/?welcome=recovered`);
      await expect.poll(() => page.locator('main').textContent()).toContain('Ditt nya lösenord är sparat.');
      expect(await page.locator('main').textContent()).toContain('Ditt lösenord valdes med en åtkomstkod');
      // The code went to the server only in form bodies, never in a URL.
      const normalised = code.replace(/-/g, '');
      expect(requested.filter((url) => url.includes(code) || url.includes(normalised))).toEqual([]);

      await page.locator('header').getByRole('button', { name: 'Logga ut' }).click();
      await page.waitForURL(/\/login\?signedout=1$/);
      expect(await page.locator('[role="status"]').textContent()).toContain('Du är utloggad.');
      expect(await page.locator('h1').textContent()).toBe(LABELS.sv.signIn);
      expect(await page.getByRole('link', { name: LABELS.sv.troubleSigningIn }).getAttribute('href')).toBe(
        '/help/login',
      );
      expect(await page.getByRole('link', { name: LABELS.sv.haveAccessCode }).getAttribute('href')).toBe(
        '/work/accesscode',
      );

      await page.getByLabel('Användarnamn eller e-post').fill(username);
      await page.getByLabel('Lösenord', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: LABELS.sv.signIn }).click();
      await page.waitForURL(`${server.baseUrl}/`);
      expect(await page.locator('h1').textContent()).toBe('Ditt konto');
      expect(await page.locator('header').textContent()).toContain('Inloggad som Åsa Öberg');
      await context.close();
    },
  );

  it('a new worker claims an account without a username and chooses one, with the availability hint', async () => {
    await createPerson(server.context.deps, { name: 'Someone Else', username: 'taken.name' }, CLI_ACTOR);
    const { code } = await unclaimedPersonWithCode('Bo Ek', 'E-2001');
    const context = await newContext('en');
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/work/accesscode`);
    await page.getByLabel(LABELS.en.accessCode).fill(code.toLowerCase().replace(/-/g, ' '));
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a username');
    const usernameField = page.getByLabel('Username', { exact: true });
    await usernameField.fill('Taken.Name');
    await expect
      .poll(() => page.locator('#username-status').textContent())
      .toBe('“taken.name” is taken. Try another one.');
    await usernameField.fill('x');
    await expect.poll(() => page.locator('#username-status').textContent()).toContain('Use 3 to 64');
    await usernameField.fill('bo.ek');
    await expect.poll(() => page.locator('#username-status').textContent()).toBe('“bo.ek” is available.');
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect.poll(() => page.locator('h1').textContent()).toBe('Set a new password');
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.waitForURL(`${server.baseUrl}/?welcome=claimed`);
    const main = await page.locator('main').textContent();
    expect(main).toContain('Welcome! Your account is ready');
    expect(main).toContain('bo.ek');
    expect(main).toContain('You started using your account with an access code and set your password');
    await context.close();
  });

  it('the whole access-code flow works with the keyboard alone (Tab, typing and Enter)', async () => {
    const { username, code } = await activePersonWithCode('Keyboard User');
    const context = await newContext('en');
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/work/accesscode`);

    const focusedId = (): Promise<string> =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || '');
    async function tabTo(target: string): Promise<void> {
      for (let i = 0; i < 25; i += 1) {
        if ((await focusedId()) === target) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`could not reach ${target} with Tab`);
    }

    // The first Tab stop is the skip link, and it shows itself.
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('Skip to content');
    expect(await page.locator('.skip-link').boundingBox()).not.toBeNull();
    const skipBox = await page.locator('.skip-link').boundingBox();
    expect(skipBox!.y).toBeGreaterThanOrEqual(0);

    await tabTo('code');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Is this your username?');
    await tabTo('Yes, this is me');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Set a new password');
    await tabTo('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('password2');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.baseUrl}/?welcome=recovered`);
    expect(await page.locator('main').textContent()).toContain(username);
    await context.close();
  });

  it('every frontline page passes axe-core (WCAG 2.2 A/AA) ' +
    'in English and Swedish, on a tablet and a phone', async () => {
    for (const locale of ['en', 'sv'] as const) {
      for (const device of ['tablet', 'phone'] as const) {
        const viewport = device === 'phone' ? { width: 390, height: 844 } : { width: 1024, height: 800 };
        const context = await newContext(locale, viewport);
        const page = await context.newPage();
        const shot = (name: string): Promise<string> => screenshot(page, `${name}-${locale}-${device}`);
        const check = async (name: string): Promise<void> => {
          await expectAccessible(page, `${name} (${locale}, ${device})`);
          await shot(name);
        };

        await page.goto(`${server.baseUrl}/login`);
        expect(await page.locator('html').getAttribute('lang')).toBe(locale);
        await check('login');
        await page.getByLabel(locale === 'sv' ? 'Användarnamn eller e-post' : 'Username or email').fill('nobody');
        await page.getByLabel(locale === 'sv' ? 'Lösenord' : 'Password', { exact: true }).fill('wrong password');
        await page.getByRole('button', { name: LABELS[locale].signIn }).click();
        await expect.poll(() => page.locator('[role="alert"]').count()).toBe(1);
        await check('login-error');

        await page.goto(`${server.baseUrl}/help/login`);
        await check('help-login');

        await page.goto(`${server.baseUrl}/work/accesscode`);
        await check('accesscode-1-code');
        await page.getByLabel(LABELS[locale].accessCode).fill('BCDF-GHJK-LMNP-QRST');
        await page.locator('#code-form button[type="submit"]').click();
        await expect.poll(() => page.locator('[role="alert"]').count()).toBe(1);
        await check('accesscode-1-wrong-code');

        const unclaimed = await unclaimedPersonWithCode(`Nils ${locale} ${device}`, `A-${locale}-${device}`);
        await enterCode(page, unclaimed.code);
        await page.locator('#choose-form').waitFor();
        await page.locator('#username').fill(`nils.${locale}.${device}`);
        await expect.poll(() => page.locator('#username-status.ok').count()).toBe(1);
        await check('accesscode-2-choose');

        const active = await activePersonWithCode(`Karin ${locale} ${device}`);
        await enterCode(page, active.code);
        await page.locator('.username-box').waitFor();
        await check('accesscode-2-confirm');
        await page.locator('main form button[type="submit"]').click();
        await page.locator('#password-form').waitFor();
        await page.locator('#password').fill('short');
        await check('accesscode-3-password');
        await page.locator('#password').fill(PASSWORD);
        await page.locator('#password2').fill(`${PASSWORD}!`);
        await page.locator('#password-form button[type="submit"]').click();
        await expect.poll(() => page.locator('[role="alert"]').count()).toBe(1);
        await check('accesscode-3-password-error');
        await page.locator('#password').fill(PASSWORD);
        await page.locator('#password2').fill(PASSWORD);
        await page.locator('#password-form button[type="submit"]').click();
        await page.waitForURL(/\/\?welcome=recovered$/);
        await check('home');

        await page.goto(`${server.baseUrl}/no/such/page`);
        await check('not-found');
        await context.close();
      }
    }
  }, 180_000); // dozens of pages in two languages; a loaded CI machine needs more than the default minute

  it('works without JavaScript: the forms alone carry the code through the steps', async () => {
    const { code } = await activePersonWithCode('No Script');
    const context = await browser.newContext({
      javaScriptEnabled: false,
      extraHTTPHeaders: { 'accept-language': 'en' },
    });
    const page = await context.newPage();
    await enterCode(page, code);
    await page.getByRole('button', { name: 'Yes, this is me' }).click();
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.waitForURL(`${server.baseUrl}/?welcome=recovered`);
    await context.close();
  });

  it('the accessibility check does find problems (so a clean result means something)', async () => {
    const context = await newContext('en');
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/help/login`);
    await page.evaluate(() => {
      document
        .querySelector('main')!
        .insertAdjacentHTML('beforeend', '<input type="text"><img src="/assets/none.png">');
    });
    const ids = (await checkA11y(page)).map((violation) => violation.id).sort();
    expect(ids).toEqual(expect.arrayContaining(['image-alt', 'label']));
    await context.close();
  });

  it('the language switch changes the language and remembers it', async () => {
    const context = await newContext('en');
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/help/login`);
    expect(await page.locator('h1').textContent()).toBe(LABELS.en.troubleSigningIn);
    await page.getByRole('link', { name: 'Svenska' }).click();
    await page.waitForURL(`${server.baseUrl}/help/login`);
    expect(await page.locator('h1').textContent()).toBe(LABELS.sv.troubleSigningIn);
    await page.goto(`${server.baseUrl}/login`);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    expect(await page.locator('h1').textContent()).toBe(LABELS.sv.signIn);
    await context.close();
  });
});
