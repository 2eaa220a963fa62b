// The Areas pages in a real Chromium: on a 390-px phone in Swedish and on a desktop in English,
// an admin creates an area, adds a member and a manager by searching, renames it, finds its
// members on People, changes a person's areas from their page, and deletes the area after
// confirming, by keyboard where it counts; axe-core on every page, no sideways scrolling.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { CLI_ACTOR } from '../../src/audit/audit.js';
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

const ADMIN = { name: 'Agnes Admin', username: 'agnes.admin', password: 'green ferry at dawn 42' };

describe.skipIf(!HAS_CHROMIUM)(`the Areas pages in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const { deps } = server.context;
    const admin = await createPerson(deps, { name: ADMIN.name, username: ADMIN.username, role: 'admin' }, CLI_ACTOR);
    const first = await issueAccessCode(deps, { personId: admin.id, actor: CLI_ACTOR });
    await redeemAccessCode(deps, {
      code: first.code,
      username: ADMIN.username,
      password: ADMIN.password,
      client: { ip: '10.0.0.1', userAgent: null },
    });
    for (const person of [
      { name: 'Åsa Öberg', employeeId: 'E-100' },
      { name: 'Bo Ek', employeeId: 'E-101' },
      { name: 'محمد الحسن', employeeId: 'E-102' },
    ])
      await createPerson(deps, person, CLI_ACTOR);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signedIn(
    locale: Locale,
    viewport: { width: number; height: number },
  ): Promise<[BrowserContext, Page]> {
    const context = await browser.newContext({
      locale: locale === 'sv' ? 'sv-SE' : 'en-GB',
      extraHTTPHeaders: { 'accept-language': locale === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
      viewport,
    });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel(locale === 'sv' ? 'Användarnamn eller e-post' : 'Username or email').fill(ADMIN.username);
    await page.getByLabel(locale === 'sv' ? 'Lösenord' : 'Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: LABELS[locale].signIn }).click();
    await page.waitForURL(`${server.baseUrl}/`);
    return [context, page];
  }

  async function expectFine(page: Page, what: string, width: number): Promise<void> {
    const violations = await checkA11y(page);
    expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), what).toBeLessThanOrEqual(width);
  }

  it('on a phone, in Swedish: create, add a member and a manager, rename, and delete after confirming', async () => {
    const [context, page] = await signedIn('sv', { width: 390, height: 844 });
    await page.goto(`${server.baseUrl}/admin/people`);
    await page.locator('header').getByRole('link', { name: LABELS.sv.areas }).click();
    await page.waitForURL(`${server.baseUrl}/admin/areas`);
    expect(await page.locator('h1').textContent()).toBe('Områden');
    await expectFine(page, 'areas, empty, phone', 390);

    // Create by keyboard: type the name, Enter submits.
    await page.getByLabel('Områdets namn').fill('Butik 12 Malmö');
    await page.getByLabel('Områdets namn').press('Enter');
    await page.waitForURL(/\/admin\/areas\/[0-9a-f-]+\?done=created/);
    expect(await page.locator('h1').textContent()).toBe('Butik 12 Malmö');
    await expectFine(page, 'new area, phone', 390);

    // Find people and add one as member, another as manager.
    await page.getByLabel('Sök', { exact: true }).fill('Öberg');
    await page.getByRole('button', { name: 'Sök', exact: true }).click();
    await page.getByRole('button', { name: 'Lägg till Åsa Öberg som medlem' }).click();
    await page.waitForURL(/done=member-added/);
    expect(await page.getByRole('status').first().textContent()).toContain('Tillagd bland medlemmarna.');
    await page.getByLabel('Sök', { exact: true }).fill('E-101');
    await page.getByRole('button', { name: 'Sök', exact: true }).click();
    await page.getByRole('button', { name: 'Lägg till Bo Ek som chef' }).click();
    await page.waitForURL(/done=manager-added/);
    await page.goto(page.url().split('?')[0]!);
    expect(await page.locator('main').textContent()).toContain('Medlemmar: 1 · Chefer: 1');
    await expectFine(page, 'area with people, phone', 390);
    await screenshot(page, 'admin-area-sv-phone');

    await page.getByLabel('Namn', { exact: true }).fill('Butik 12 Malmö C');
    await page.getByRole('button', { name: 'Spara namnet' }).click();
    await page.waitForURL(/done=renamed/);
    expect(await page.locator('h1').textContent()).toBe('Butik 12 Malmö C');

    // The members on People, filtered by this area.
    await page.getByRole('link', { name: 'Visa medlemmarna under Personer' }).click();
    await page.waitForURL(/\/admin\/people\?area=/);
    expect(await page.locator('#people-count').textContent()).toBe('1 person');
    await expectFine(page, 'people by area, phone', 390);

    await page.goBack();
    await page.getByRole('link', { name: 'Ta bort område' }).click();
    expect(await page.locator('h1').textContent()).toBe('Ta bort området Butik 12 Malmö C?');
    await expectFine(page, 'delete area, phone', 390);
    await page.getByRole('button', { name: 'Ta bort område' }).click();
    await page.waitForURL(/\/admin\/areas\?done=deleted/);
    expect(await page.locator('main').textContent()).toContain('Det finns inga områden än.');
    await context.close();
  }, 180_000);

  it('on a desktop, in English: the list with counts, and a person’s areas changed from their page', async () => {
    const [context, page] = await signedIn('en', { width: 1280, height: 860 });
    for (const name of ['Ward 3', 'Depot North']) {
      await page.goto(`${server.baseUrl}/admin/areas`);
      await page.getByLabel('Area name').fill(name);
      await page.getByRole('button', { name: 'Create area' }).click();
      await page.waitForURL(/done=created/);
    }
    await page.goto(`${server.baseUrl}/admin/areas`);
    const rows = page.locator('tbody tr');
    expect(await rows.allTextContents()).toEqual([
      expect.stringMatching(/Depot North\s*0\s*0/),
      expect.stringMatching(/Ward 3\s*0\s*0/),
    ]);
    await expectFine(page, 'areas list, desktop', 1280);
    await screenshot(page, 'admin-areas-en');

    await page.goto(`${server.baseUrl}/admin/people`);
    await page.getByRole('link', { name: 'محمد الحسن' }).click();
    await page.getByLabel('Add to area', { exact: true }).fill('ward 3');
    await page.getByRole('button', { name: 'Add to area' }).click();
    await page.waitForURL(/done=area-added/);
    expect(await page.locator('#areas').textContent()).toContain('Ward 3');
    await page.getByLabel('Add to area', { exact: true }).fill('Nowhere');
    await page.getByRole('button', { name: 'Add to area' }).click();
    await page.waitForURL(/areaProblem=unknown/);
    expect(await page.locator('#areas').textContent()).toContain('There is no area named "Nowhere".');
    await expectFine(page, 'person with areas', 1280);
    await page.getByRole('button', { name: 'Remove from Ward 3' }).click();
    await page.waitForURL(/done=area-removed/);
    expect(await page.locator('#areas').textContent()).toContain('Not in any area.');
    await context.close();
  }, 180_000);
});
