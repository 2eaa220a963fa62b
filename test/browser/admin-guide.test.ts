// The admin side of issue 16 in a real Chromium, at a phone's 390 px and a desk's 1280 px, in
// English and Swedish, axe at zero violations on every page touched: the first-run checklist,
// "Get access code now" after adding a person, People as cards with folded filters and a one-line
// header on a phone, the audit log by name with a bulk issue folded into one line (opened by
// keyboard), a batch page with its recipients, and "Start over for this person" ending in a code
// shown once that never wraps. Screenshots in test-artifacts/screenshots/guide-*.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { issueAccessCodes } from '../../src/access-codes/batches.service.js';
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

const ADMIN = { name: 'Anna Admin', username: 'anna.admin', password: 'green ferry at dawn 42' };
const CLIENT = { ip: '10.0.0.9', userAgent: null };
const PHONE = { width: 390, height: 844 };
const DESK = { width: 1280, height: 860 };

const WORDS = {
  en: {
    started: 'Get started',
    filters: 'Filters',
    startOver: 'Start over for this person',
    startOverButton: 'Start over and get a new code',
    showWho: /Show who got a code \(\d+\)/,
    recipients: 'Who got a code',
    matched: 'people who match “Timo Laine”',
    added: 'Get access code now',
    name: 'Name',
    employeeId: 'Employee id',
    addPerson: 'Add person',
  },
  sv: {
    started: 'Kom igång',
    filters: 'Filter',
    startOver: 'Börja om för den här personen',
    startOverButton: 'Börja om och hämta en ny kod',
    showWho: /Visa vilka som fick en kod \(\d+\)/,
    recipients: 'Vilka som fick en kod',
    matched: 'personer som matchar ”Timo Laine”',
    added: 'Hämta åtkomstkod nu',
    name: 'Namn',
    employeeId: 'Anställningsnummer',
    addPerson: 'Lägg till person',
  },
} as const;

describe.skipIf(!HAS_CHROMIUM)(`the admin's guided pages in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const { deps } = server.context;
    const admin = await createPerson(
      deps,
      { name: ADMIN.name, username: ADMIN.username, email: 'anna.admin@example.com', role: 'admin' },
      CLI_ACTOR,
    );
    const first = await issueAccessCode(deps, { personId: admin.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: first.code,
      username: ADMIN.username,
      password: ADMIN.password,
      client: CLIENT,
    });
    ids.set('admin', admin.id);
    const people = [
      { name: 'Timo Laine', employeeId: 'E-101', department: 'Kassa', location: 'Butik 214 Uppsala Gränby' },
      { name: 'Timo Laine', employeeId: 'E-202', department: 'Chark', location: 'Butik 118 Göteborg Nordstan' },
      { name: 'Sara Sjögren', employeeId: 'E-303', department: 'Kassa', location: 'Butik 214 Uppsala Gränby' },
      {
        name: 'Nguyễn Thị Hương',
        employeeId: 'E-404',
        department: 'Frukt & grönt',
        location: 'Butik 214 Uppsala Gränby',
      },
      { name: 'Dana Email', username: 'dana.e', email: 'dana@example.com', department: 'Office', location: 'HQ' },
    ];
    for (const person of people) {
      const created = await createPerson(deps, person, CLI_ACTOR);
      ids.set(person.employeeId ?? person.name, created.id);
    }
    const actor = { kind: 'person' as const, id: admin.id, label: ADMIN.username };
    await issueAccessCodes(deps, { filter: { hasEmail: false }, actor });
    // A slip went to the wrong Timo, who used it and chose a username.
    const wrong = await issueAccessCode(deps, { personId: ids.get('E-202')!, actor });
    await redeemAccessCode(deps, {
      code: wrong.code,
      username: 'timo.wrong',
      password: 'a long wrong password',
      client: CLIENT,
    });
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

  async function signIn(page: Page, locale: Locale): Promise<void> {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel(locale === 'sv' ? 'Användarnamn eller e-post' : 'Username or email').fill(ADMIN.username);
    await page.getByLabel(locale === 'sv' ? 'Lösenord' : 'Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: LABELS[locale].signIn }).click();
    await page.waitForURL(`${server.baseUrl}/`);
  }

  async function expectAccessible(page: Page, what: string): Promise<void> {
    const violations = await checkA11y(page);
    expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  /** Nothing wider than the screen: no sideways scrolling. */
  async function expectNoSideways(page: Page, what: string): Promise<void> {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${what} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  for (const locale of ['en', 'sv'] as const) {
    for (const viewport of [PHONE, DESK]) {
      const size = `${viewport.width}`;
      const phone = viewport.width < 600;
      it(`${locale} at ${size} px: people, audit, batch, start over`, { timeout: 180_000 }, async () => {
        const w = WORDS[locale];
        const context = await newContext(locale, viewport);
        const page = await context.newPage();
        await signIn(page, locale);

        // People: the checklist (no app yet), cards and folded filters on a phone.
        await page.goto(`${server.baseUrl}/admin/people`);
        await expect.poll(() => page.getByRole('heading', { name: w.started }).isVisible()).toBe(true);
        const header = await page.locator('.site-header-inner').boundingBox();
        // One line: the header is as tall as one row of tap targets (44 px) plus its padding.
        expect(header!.height).toBeLessThan(64);
        const fold = page.locator('details[data-fold-filters]');
        if (phone) {
          expect(await fold.evaluate((el) => (el as HTMLDetailsElement).open)).toBe(false);
          expect(await page.getByRole('searchbox').isVisible()).toBe(true);
          const card = page.locator('.people-table tbody tr').first();
          expect(await card.evaluate((el) => getComputedStyle(el).display)).toBe('block');
          await expectNoSideways(page, 'People');
          // The filters open from their summary with the keyboard.
          await fold.locator('summary').focus();
          await page.keyboard.press('Enter');
          expect(await fold.evaluate((el) => (el as HTMLDetailsElement).open)).toBe(true);
        } else {
          expect(await fold.evaluate((el) => (el as HTMLDetailsElement).open)).toBe(true);
          expect(await page.locator('.people-table thead').isVisible()).toBe(true);
        }
        await screenshot(page, `guide-people-${locale}-${size}`);
        await expectAccessible(page, `People ${locale} ${size}`);

        // Add a person: the notice's primary button is the next step.
        await page.goto(`${server.baseUrl}/admin/people/new`);
        await page.getByLabel(w.name, { exact: true }).fill(`Ny Person ${locale} ${size}`);
        await page.getByLabel(w.employeeId, { exact: true }).fill(`N-${locale}-${size}`);
        await page.locator('form.person-form button[type="submit"]').click();
        await page.waitForURL(/\?done=added$/);
        const next = page.getByRole('link', { name: w.added });
        expect(await next.isVisible()).toBe(true);
        expect(await next.evaluate((el) => el.getBoundingClientRect().bottom <= window.innerHeight)).toBe(true);
        await screenshot(page, `guide-person-added-${locale}-${size}`);
        await expectAccessible(page, `person added ${locale} ${size}`);

        // The audit log by name: the two Timo Laine are offered with what tells them apart.
        await page.goto(`${server.baseUrl}/admin/audit?person=${encodeURIComponent('Timo Laine')}`);
        expect(await page.locator('.notice-info').textContent()).toContain(w.matched);
        expect(await page.locator('.matched-people').textContent()).toContain('E-101');
        await expectNoSideways(page, 'audit log');
        await screenshot(page, `guide-audit-by-name-${locale}-${size}`);
        await expectAccessible(page, `audit by name ${locale} ${size}`);

        // The bulk issue is one line; its recipients open from the keyboard.
        await page.goto(`${server.baseUrl}/admin/audit`);
        const summary = page.locator('details.batch-fold summary').first();
        expect(await summary.textContent()).toMatch(w.showWho);
        await summary.focus();
        await page.keyboard.press('Enter');
        await expect.poll(() => page.locator('.batch-people').first().isVisible()).toBe(true);
        expect(await page.locator('.batch-people').first().textContent()).toContain('Sara Sjögren');
        await screenshot(page, `guide-audit-batch-open-${locale}-${size}`);
        await expectAccessible(page, `audit with a batch open ${locale} ${size}`);

        // The batch page: recipients (names, no codes) and progress.
        await page
          .locator('.batch-fold a[href^="/admin/batches/"], .details a[href^="/admin/batches/"]')
          .first()
          .click();
        await page.waitForURL(/\/admin\/batches\/[0-9a-f-]{36}$/);
        expect(await page.getByRole('heading', { name: w.recipients }).isVisible()).toBe(true);
        expect(await page.locator('.recipient-list').textContent()).toContain('Nguyễn Thị Hương');
        expect(await page.locator('main').textContent()).not.toMatch(/[A-Z]{4}-[A-Z]{4}-[A-Z]{4}-[A-Z]{4}/);
        await expectNoSideways(page, 'batch page');
        await screenshot(page, `guide-batch-${locale}-${size}`);
        await expectAccessible(page, `batch ${locale} ${size}`);

        // Start over for the Timo whose slip reached the wrong person: one confirmed step.
        await page.goto(`${server.baseUrl}/admin/people/${ids.get('E-202')}`);
        await page.getByRole('link', { name: w.startOver }).click();
        await page.waitForURL(/\/start-over$/);
        await screenshot(page, `guide-start-over-${locale}-${size}`);
        await expectAccessible(page, `start over ${locale} ${size}`);
        await page.getByRole('button', { name: w.startOverButton }).click();
        await page.waitForURL(/\/access-code\/shown\?return=/);
        const code = page.locator('#access-code');
        expect(await code.getAttribute('data-code')).toMatch(/^[A-Z]{4}(-[A-Z]{4}){3}$/);
        // The shown code never wraps: one line, inside the screen.
        const box = await code.evaluate((el) => {
          const groups = [...el.querySelectorAll('.code-group')].map((g) => g.getBoundingClientRect().top);
          return { tops: new Set(groups).size, right: el.getBoundingClientRect().right, width: window.innerWidth };
        });
        expect(box.tops).toBe(1);
        expect(box.right).toBeLessThanOrEqual(box.width);
        await expectNoSideways(page, 'shown code');
        await screenshot(page, `guide-start-over-code-${locale}-${size}`);
        await expectAccessible(page, `start over, code shown ${locale} ${size}`);
        await context.close();
      });
    }
  }
});
