// Search as you type on People (issue 17): when the answer to an earlier keystroke is slow, the
// page cancels it and never shows it over the answer to what the admin typed last.
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { LABELS } from '../../src/http/labels.js';
import { createPerson } from '../../src/people/people.service.js';
import { HAS_CHROMIUM, launchBrowser, SKIP_REASON, startServer, type TestServer } from './helpers/browser.js';

const ADMIN = { name: 'Anna Admin', username: 'anna.admin', password: 'green ferry at dawn 42' };
const PEOPLE = ['Sven Svensson', 'Saga Berg', 'Bo Ek', 'Bodil Lind', 'Erik Ek'];

describe.skipIf(!HAS_CHROMIUM)(`People search as you type${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let server: TestServer;
  let browser: Browser;

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
      client: { ip: '10.0.0.1', userAgent: null },
    });
    for (const name of PEOPLE) await createPerson(deps, { name, employeeId: `E-${name.length}${name[0]}` }, CLI_ACTOR);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel('Username or email').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: LABELS.en.signIn }).click();
    await page.waitForURL(`${server.baseUrl}/`);
  }

  const names = async (page: Page): Promise<string[]> =>
    (await page.locator('tbody th[scope="row"]').allTextContents()).map((text) => text.trim());

  it('a slow answer to "s" is cancelled and never replaces the answer to "bo"', async () => {
    const context = await browser.newContext({ locale: 'en-GB', extraHTTPHeaders: { 'accept-language': 'en' } });
    const page = await context.newPage();
    try {
      await signIn(page);
      await page.goto(`${server.baseUrl}/admin/people`);
      // The hint says what one or two letters find.
      expect(await page.locator('#field-q-hint').textContent()).toContain('One or two letters find words');

      // The answer to q=s is held back for 3 s, as a slow server would; the others pass at once.
      let releaseSlow: () => void = () => undefined;
      const slowReleased = new Promise<void>((resolve) => {
        releaseSlow = resolve;
      });
      let slowSeen: () => void = () => undefined;
      const slowArrived = new Promise<void>((resolve) => {
        slowSeen = resolve;
      });
      const failed: string[] = [];
      page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
      await page.route(/\/admin\/people\?q=s$/, async (route: Route) => {
        slowSeen();
        const response = await route.fetch();
        await Promise.race([slowReleased, new Promise((resolve) => setTimeout(resolve, 3_000))]);
        // The page may have cancelled the request meanwhile: then there is no one to answer.
        await route.fulfill({ response }).catch(() => undefined);
      });

      const search = page.getByRole('searchbox', { name: 'Search' });
      await search.fill('s');
      await slowArrived;
      await search.fill('bo');
      await page.waitForURL(/q=bo$/);
      await expect.poll(() => names(page), { timeout: 30_000 }).toEqual(['Bo Ek', 'Bodil Lind']);

      releaseSlow();
      // Time for a late answer to land, had it not been cancelled.
      await page.waitForTimeout(1_500);
      expect(await names(page)).toEqual(['Bo Ek', 'Bodil Lind']);
      expect(page.url()).toMatch(/q=bo$/);
      expect(await search.inputValue()).toBe('bo');
      expect(
        failed.some((line) => /\?q=s /.test(line) && /ERR_ABORTED/.test(line)),
        failed.join('\n'),
      ).toBe(true);
    } finally {
      await context.close();
    }
  }, 180_000);
});
