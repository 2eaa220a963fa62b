// SPEC §9 in a real Chromium: a store manager on a 390-px-wide phone finds a worker of her store,
// gets a code and prints the slip (and sees no one of another store); a second admin approves a
// request for an admin code, and the admin who asked collects it once. axe-core on each page, in
// English and Swedish.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locale } from '../../src/http/i18n.js';
import { LABELS } from '../../src/http/labels.js';
import { createSession } from '../../src/sessions/session.js';
import { addManager, addMember, makeArea, makePerson } from '../helpers/areas.js';
import {
  checkA11y,
  HAS_CHROMIUM,
  launchBrowser,
  screenshot,
  SKIP_REASON,
  startServer,
  type TestServer,
} from './helpers/browser.js';

const CODE = /^[B-Z]{4}(-[B-Z]{4}){3}$/;
const PHONE = { width: 390, height: 844 };

describe.skipIf(!HAS_CHROMIUM)(
  `managers and the two-person rule in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`,
  () => {
    let server: TestServer;
    let browser: Browser;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      server = await startServer();
      browser = await launchBrowser();
      const { deps } = server.context;
      const store = await makeArea(deps, 'Store 12');
      const other = await makeArea(deps, 'Store 40');
      ids.manager = await makePerson(deps, { name: 'Stina Store', username: 'stina.store', role: 'manager' });
      ids.worker = await makePerson(deps, { name: 'Wanda Worker', username: 'wanda.w', unclaimed: true });
      ids.colleague = await makePerson(deps, { name: 'Wilma Worker', username: 'wilma.w' });
      ids.elsewhere = await makePerson(deps, { name: 'Walter Elsewhere', username: 'walter.e' });
      for (const key of ['worker', 'colleague', 'manager']) await addMember(deps, store, ids[key]!);
      await addMember(deps, other, ids.elsewhere);
      await addManager(deps, store, ids.manager);
      ids.asker = await makePerson(deps, { name: 'Anna Admin', username: 'anna.admin', role: 'admin' });
      ids.approver = await makePerson(deps, { name: 'Bertil Admin', username: 'bertil.admin', role: 'admin' });
      ids.locked = await makePerson(deps, { name: 'Cecilia Admin', username: 'cecilia.admin', role: 'admin' });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    /** A browser signed in as a person (the session cookie set directly: sign-in has tests of its own). */
    async function signedIn(personId: string, locale: Locale, viewport = { width: 1280, height: 860 }) {
      const { deps } = server.context;
      const session = await createSession(deps.db, deps.config, personId, deps.clock.now(), {
        ip: null,
        userAgent: null,
      });
      const context: BrowserContext = await browser.newContext({
        locale: locale === 'sv' ? 'sv-SE' : 'en-GB',
        extraHTTPHeaders: { 'accept-language': locale === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
        viewport,
      });
      await context.addCookies([{ name: 'keyslip_session', value: session.token, url: server.baseUrl }]);
      return { context, page: await context.newPage() };
    }

    async function expectAccessible(page: Page, what: string): Promise<void> {
      const violations = await checkA11y(page);
      expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
    }

    it('a store manager on a phone finds a worker, gets a code and prints the slip', { timeout: 180_000 }, async () => {
      const { context, page } = await signedIn(ids.manager!, 'en', PHONE);
      await page.goto(`${server.baseUrl}/`);
      await page.getByRole('link', { name: LABELS.en.people }).first().click();
      await page.waitForURL(`${server.baseUrl}/admin/people`);
      // Her store only: herself and the two workers; no one of store 40, and no admin navigation.
      expect(await page.locator('#people-count').textContent()).toBe('3 people');
      expect(await page.locator('main').textContent()).not.toContain('Walter Elsewhere');
      const nav = await page.locator('header nav.admin-nav').textContent();
      expect(nav).toContain(LABELS.en.people);
      expect(nav).not.toContain(LABELS.en.apiTokens);
      expect(await page.getByRole('link', { name: 'Add person' }).count()).toBe(0);
      await expectAccessible(page, 'manager People (phone)');
      await screenshot(page, 'manager-people-phone-en');

      await page.getByRole('searchbox', { name: 'Search' }).fill('wanda');
      await expect.poll(() => page.locator('#people-count').textContent()).toBe('1 person');
      await page.getByRole('link', { name: 'Wanda Worker' }).click();
      await page.waitForURL(`${server.baseUrl}/admin/people/${ids.worker}`);
      expect(await page.locator('main').textContent()).toContain("Only an admin can change this person's details.");
      await expectAccessible(page, 'manager person page (phone)');
      await page.getByRole('link', { name: LABELS.en.getAccessCode }).click();
      await page.waitForURL(/\/access-code\?return=/);
      await page.getByRole('button', { name: LABELS.en.getAccessCode }).click();
      await page.waitForURL(/\/access-code\/shown\?return=/);
      const code = (await page.locator('#access-code').getAttribute('data-code'))!;
      expect(code).toMatch(CODE);
      const print = page.getByRole('button', { name: 'Print slip' });
      expect(await print.isVisible()).toBe(true);
      expect(await print.boundingBox().then((box) => box!.x + box!.width)).toBeLessThanOrEqual(PHONE.width);
      await expectAccessible(page, 'code shown (phone)');
      await screenshot(page, 'manager-code-shown-phone-en');
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('header').isVisible()).toBe(false);
      expect(await page.locator('.slip-qr').isVisible()).toBe(true);
      expect(await page.locator('.slip-name').textContent()).toBe('Wanda Worker');
      await screenshot(page, 'manager-slip-print-phone-en');
      await page.emulateMedia({ media: 'screen' });

      // The audit log names the area; a worker of another store is not there at all.
      const entry = await server.context.deps.db
        .selectFrom('audit_events')
        .select('area_id')
        .where('action', '=', 'access_code.issued')
        .where('person_id', '=', ids.worker!)
        .executeTakeFirstOrThrow();
      expect(entry.area_id).not.toBeNull();
      const outside = await page.goto(`${server.baseUrl}/admin/people/${ids.elsewhere}`);
      expect(outside!.status()).toBe(404);
      const herself = await page.goto(`${server.baseUrl}/admin/people/${ids.manager}/access-code`);
      expect(herself!.status()).toBe(403);
      await context.close();

      // The same pages in Swedish.
      const sv = await signedIn(ids.manager!, 'sv', PHONE);
      await sv.page.goto(`${server.baseUrl}/admin/people`);
      expect(await sv.page.locator('#manager-scope').textContent()).toBe(
        'Du ser personerna i de områden du är chef för.',
      );
      await expectAccessible(sv.page, 'manager People (phone, sv)');
      await sv.page.goto(`${server.baseUrl}/admin/access-codes/issue?hasEmail=false`);
      expect(await sv.page.locator('main').textContent()).toContain('Administratörer får aldrig koder här');
      await expectAccessible(sv.page, 'manager bulk confirmation (phone, sv)');
      await sv.context.close();
    });

    it('a second admin approves a request for an admin code; the admin who asked gets it once', {
      timeout: 180_000,
    }, async () => {
      const { deps } = server.context;
      for (const key of ['asker', 'approver', 'locked']) {
        await deps.db.updateTable('people').set({ status: 'active' }).where('id', '=', ids[key]!).execute();
      }
      // Anna asks for a code for Cecilia, who lost her password.
      const asker = await signedIn(ids.asker!, 'en');
      await asker.page.goto(`${server.baseUrl}/admin/people/${ids.locked}/access-code`);
      expect(await asker.page.locator('main').textContent()).toContain("the code needs a second admin's approval");
      await expectAccessible(asker.page, 'ask for an admin code');
      await asker.page.getByRole('button', { name: 'Ask for approval' }).click();
      await asker.page.waitForURL(/\/admin\/code-requests\/[0-9a-f-]{36}\?done=requested$/);
      const requestUrl = asker.page.url().replace(/\?.*$/, '');
      expect(await asker.page.locator('#request-status').textContent()).toBe('Waiting for approval');
      expect(await asker.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      await expectAccessible(asker.page, 'own pending request');

      // Bertil, in Swedish, sees it counted on People, and approves it.
      const approver = await signedIn(ids.approver!, 'sv');
      await approver.page.goto(`${server.baseUrl}/admin/people`);
      expect(await approver.page.locator('#awaiting-count').textContent()).toBe(
        'En begäran om administratörskod väntar på ditt godkännande.',
      );
      await expectAccessible(approver.page, 'People with a request waiting (sv)');
      await approver.page.getByRole('link', { name: 'Visa begärandena' }).click();
      await approver.page.waitForURL(`${server.baseUrl}/admin/code-requests`);
      await expectAccessible(approver.page, 'requests list (sv)');
      await approver.page.getByRole('link', { name: /Cecilia Admin/ }).click();
      await approver.page.getByRole('button', { name: 'Godkänn' }).click();
      await approver.page.waitForURL(/\?done=approved$/);
      expect(await approver.page.locator('#request-status').textContent()).toBe('Godkänd');
      expect(await approver.page.getByRole('button', { name: 'Hämta koden' }).count()).toBe(0);
      await expectAccessible(approver.page, 'approved request (sv)');
      await screenshot(approver.page, 'admin-code-request-approved-sv');
      await approver.context.close();

      // Anna collects the code, shown once.
      await asker.page.goto(requestUrl);
      await asker.page.getByRole('button', { name: 'Get the code' }).click();
      await asker.page.waitForURL(new RegExp(`/admin/people/${ids.locked}/access-code/shown`));
      expect(await asker.page.locator('#access-code').getAttribute('data-code')).toMatch(CODE);
      await asker.page.goto(requestUrl);
      expect(await asker.page.locator('#request-status').textContent()).toBe('Code collected');
      expect(await asker.page.getByRole('button', { name: 'Get the code' }).count()).toBe(0);
      await asker.context.close();
    });
  },
);
