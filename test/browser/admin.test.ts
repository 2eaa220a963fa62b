// The admin panel in a real Chromium against a real Keyslip server: the seed's click path (an
// admin gets one person an access code, a Swedish worker redeems it), codes for everyone without
// email (confirmation → CSV and PDF downloads, the PDF's QR codes decoded), the "More options"
// menu by keyboard alone, the import, and axe-core on every admin page in both languages, with
// screenshots in test-artifacts/screenshots/.
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { ALPHABET } from '../../src/access-codes/access-code.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import type { Locale } from '../../src/http/i18n.js';
import { LABELS } from '../../src/http/labels.js';
import { MINUTE } from '../../src/lib/clock.js';
import { createPerson } from '../../src/people/people.service.js';
import { decodeQr, openPdf, pageImages, toRgba } from '../helpers/pdf.js';
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
const WORKER_PASSWORD = 'blue tram to the harbour';
const CODE_PATTERN = new RegExp(`^[${ALPHABET}]{4}(-[${ALPHABET}]{4}){3}$`);

/** The people of the directory; those without email are the ones "Get access codes" covers. */
const PEOPLE = [
  { name: 'Sven Svensson', username: 'sven.s', department: 'Kitchen', location: 'Malmö' },
  { name: 'Åsa Öberg', username: 'asa.oberg', department: 'Kitchen', location: 'Lund' },
  { name: 'Bo Ek', employeeId: 'E-2001', department: 'Warehouse', location: 'Malmö' },
  { name: 'Carla Diaz', username: 'carla.d', department: 'Warehouse', location: 'Lund' },
  {
    name: '=HYPERLINK("http://evil.example","x")',
    username: 'formula.person',
    department: 'Warehouse',
    location: 'Lund',
  },
  { name: 'Dana Email', username: 'dana.e', email: 'dana@example.com', department: 'Office', location: 'Malmö' },
  { name: 'Erik Email', email: 'erik@example.com', department: 'Office', location: 'Lund' },
] as const;
const WITHOUT_EMAIL = PEOPLE.filter((p) => !('email' in p));

describe.skipIf(!HAS_CHROMIUM)(`admin pages in Chromium${HAS_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
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
      client: { ip: '10.0.0.1', userAgent: null },
    });
    for (const person of PEOPLE) {
      const created = await createPerson(deps, { ...person }, CLI_ACTOR);
      ids.set(person.name, created.id);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newContext(locale: Locale, viewport = { width: 1280, height: 860 }): Promise<BrowserContext> {
    return browser.newContext({
      locale: locale === 'sv' ? 'sv-SE' : 'en-GB',
      extraHTTPHeaders: { 'accept-language': locale === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
      viewport,
      acceptDownloads: true,
    });
  }

  async function signInAsAdmin(page: Page, locale: Locale): Promise<void> {
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

  function row(page: Page, name: string) {
    return page.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name }) });
  }

  it('the seed click path: an admin gets one access code, a Swedish worker redeems it and signs in', async () => {
    const context = await newContext('en');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    // 1–2: the admin panel, People.
    await signInAsAdmin(page, 'en');
    await page.locator('header').getByRole('link', { name: LABELS.en.people }).click();
    await page.waitForURL(`${server.baseUrl}/admin/people`);
    expect(await page.locator('h1').textContent()).toBe(LABELS.en.people);
    expect(await page.locator('#people-count').textContent()).toBe(`${PEOPLE.length + 1} people`);

    // 3: filter to people without email, then search as you type.
    await page.getByLabel('Email', { exact: true }).selectOption('false');
    await expect.poll(() => page.locator('#people-count').textContent()).toBe(`${WITHOUT_EMAIL.length} people`);
    expect(page.url()).toBe(`${server.baseUrl}/admin/people?hasEmail=false`);
    await page.getByRole('searchbox', { name: 'Search' }).fill('sven');
    await expect.poll(() => page.locator('#people-count').textContent()).toBe('1 person');
    await expect.poll(() => page.locator('[role="status"]#people-status').textContent()).toBe('1 person');
    expect(await row(page, 'Sven Svensson').count()).toBe(1);
    await screenshot(page, 'admin-people-search-en');

    // 4: the three dots on the right → "Get access code".
    await row(page, 'Sven Svensson').getByRole('button', { name: LABELS.en.moreOptions }).click();
    await screenshot(page, 'admin-people-row-menu-en');
    await page.getByRole('menuitem', { name: LABELS.en.getAccessCode, exact: true }).click();
    await page.waitForURL(/\/admin\/people\/[0-9a-f-]{36}\/access-code\?return=/);
    expect(await page.locator('h1').textContent()).toBe(LABELS.en.getAccessCode);
    await page.getByLabel('7 days').check();
    await page.getByRole('button', { name: LABELS.en.getAccessCode }).click();

    // The code, shown once, with copy and print.
    await page.waitForURL(/\/access-code\/shown\?return=/);
    const code = (await page.locator('#access-code').getAttribute('data-code'))!;
    expect(code).toMatch(CODE_PATTERN);
    expect((await page.locator('#access-code').textContent())!.replace(/\s/g, '')).toBe(code);
    expect(await page.locator('main').textContent()).toContain('This code is shown only once');
    await page.getByRole('button', { name: 'Copy code' }).click();
    await expect.poll(() => page.locator('#copy-status').textContent()).toBe('The code was copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    expect(await page.getByRole('button', { name: 'Print slip' }).isVisible()).toBe(true);
    await screenshot(page, 'admin-code-shown-en');
    // The slip as printed: only the slip, with the QR code.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header').isVisible()).toBe(false);
    expect(await page.locator('.slip-qr').isVisible()).toBe(true);
    await screenshot(page, 'admin-code-slip-print-en');
    await page.emulateMedia({ media: 'screen' });

    // A reload does not show it again, and no request ever carried it in a URL.
    await page.reload();
    expect(await page.locator('h1').textContent()).toBe('The access code is no longer shown');
    expect(await page.content()).not.toContain(code);
    const bare = code.replace(/-/g, '');
    expect(requested.filter((url) => url.includes(code) || url.includes(bare))).toEqual([]);
    await page.getByRole('link', { name: 'Done' }).click();
    await page.waitForURL(`${server.baseUrl}/admin/people?q=sven&hasEmail=false`);
    expect(await row(page, 'Sven Svensson').textContent()).toContain('Active until');
    await context.close();

    // 5: the worker, in a Swedish browser, redeems it on the access-code page.
    const workerContext = await newContext('sv', { width: 414, height: 860 });
    const worker = await workerContext.newPage();
    await worker.goto(`${server.baseUrl}/work/accesscode`);
    await worker.getByLabel(LABELS.sv.accessCode).fill(code);
    await worker.getByRole('button', { name: 'Fortsätt' }).click();
    // A first claim of a username the admin set: confirmed by first name, to be written down.
    await expect.poll(() => worker.locator('h1').textContent()).toBe('Ditt användarnamn');
    expect(await worker.locator('.username-box').textContent()).toBe('sven.s');
    expect(await worker.locator('main').textContent()).toContain('Skriv upp det');
    await worker.getByRole('button', { name: 'Ja, jag är Sven' }).click();
    await expect.poll(() => worker.locator('h1').textContent()).toBe('Välj ett nytt lösenord');
    await worker.getByLabel('Nytt lösenord', { exact: true }).fill(WORKER_PASSWORD);
    await worker.getByLabel('Nytt lösenord igen').fill(WORKER_PASSWORD);
    await worker.getByRole('button', { name: 'Spara lösenordet och logga in' }).click();
    await worker.waitForURL(/\/\?welcome=/);
    await worker.locator('header').getByRole('button', { name: 'Logga ut' }).click();
    await worker.waitForURL(/\/login\?signedout=1$/);
    await worker.getByLabel('Användarnamn eller e-post').fill('sven.s');
    await worker.getByLabel('Lösenord', { exact: true }).fill(WORKER_PASSWORD);
    await worker.getByRole('button', { name: LABELS.sv.signIn }).click();
    await worker.waitForURL(`${server.baseUrl}/`);
    expect(await worker.locator('header').textContent()).toContain('Inloggad som Sven Svensson');
    // A member has no admin panel.
    const response = await worker.goto(`${server.baseUrl}/admin/people`);
    expect(response!.status()).toBe(403);
    await workerContext.close();
  });

  it(
    '"Get access codes" for everyone without email: the ' + 'count, then the CSV and the PDF slips with QR codes',
    async () => {
      // Bo Ek already holds a code (maybe printed): the confirmation must say it will be replaced.
      await issueAccessCode(server.context.deps, { personId: ids.get('Bo Ek')!, actor: CLI_ACTOR });
      const context = await newContext('en');
      const page = await context.newPage();
      await signInAsAdmin(page, 'en');
      await page.goto(`${server.baseUrl}/admin/people`);
      await page.getByRole('button', { name: LABELS.en.moreOptions, exact: true }).first().click();
      await page.getByRole('menuitem', { name: LABELS.en.getAccessCodes, exact: true }).click();
      await page.waitForURL(`${server.baseUrl}/admin/access-codes/issue?hasEmail=false`);

      // The confirmation names how many, and that codes they hold are replaced.
      const lead = await page.locator('#bulk-count').textContent();
      expect(lead).toBe(`Codes will be made for ${WITHOUT_EMAIL.length} people: without an email address.`);
      expect(await page.locator('main').textContent()).toContain(
        '1 of them already has an active access code. It will be replaced and stop working',
      );
      await screenshot(page, 'admin-bulk-confirm-en');
      await page.getByRole('button', { name: `Get access codes for ${WITHOUT_EMAIL.length} people` }).click();
      await page.waitForURL(/\/admin\/batches\/[0-9a-f-]{36}$/);
      expect(await page.locator('main').textContent()).toContain(`${WITHOUT_EMAIL.length} new access codes are ready.`);
      expect(await page.locator('[data-time-left]').textContent()).toBe('15 minutes left');
      await screenshot(page, 'admin-batch-en');
      await expectAccessible(page, 'batch page');

      // The CSV: header, one row per person, formula-safe.
      const [csvDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download CSV' }).click(),
      ]);
      expect(csvDownload.suggestedFilename()).toMatch(/^keyslip-codes-.*\.csv$/);
      const csv = readFileSync((await csvDownload.path())!, 'utf8');
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe('name,username,code,expiresAt');
      expect(lines).toHaveLength(WITHOUT_EMAIL.length + 1);
      expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")",formula.person,`);
      const csvCodes = new Map(
        lines.slice(1).map((line) => [line.match(/,([A-Z]{4}-[A-Z]{4}-[A-Z]{4}-[A-Z]{4}),/)![1]!, line]),
      );
      expect(csvCodes.size).toBe(WITHOUT_EMAIL.length);

      // The PDF: one slip per person, each QR code the access-code page with the code in the fragment.
      const [pdfDownload] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download slips (PDF)' }).click(),
      ]);
      expect(pdfDownload.suggestedFilename()).toMatch(/^keyslip-slips-.*\.pdf$/);
      const pdf = await openPdf(readFileSync((await pdfDownload.path())!));
      let text = '';
      const qrTexts: string[] = [];
      for (let n = 1; n <= pdf.numPages; n++) {
        const pdfPage = await pdf.getPage(n);
        text += (await pdfPage.getTextContent()).items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
          .join('');
        for (const image of await pageImages(pdfPage))
          qrTexts.push(decodeQr(toRgba(image), image.width, image.height) ?? '');
      }
      const flat = text.replace(/\s+/g, ' ');
      // (A long name wraps on the slip, so compare without white space.)
      for (const person of WITHOUT_EMAIL) expect(flat.replace(/\s/g, '')).toContain(person.name.replace(/\s/g, ''));
      expect(flat.split('Your access code').length - 1).toBe(WITHOUT_EMAIL.length);
      expect(qrTexts).toHaveLength(WITHOUT_EMAIL.length);
      for (const qr of qrTexts) {
        const match = new RegExp(
          `^${server.baseUrl.replace(/[.]/g, '\\.')}/work/accesscode#code=([A-Z]{4}-[A-Z]{4}-[A-Z]{4}-[A-Z]{4})$`,
        ).exec(qr);
        expect(match, qr).not.toBeNull();
        expect(csvCodes.has(match![1]!)).toBe(true);
      }

      // After the window: a clear "closed" state, and no download.
      server.context.clock.advance(16 * MINUTE);
      await page.reload();
      expect(await page.locator('[data-window-closed]').textContent()).toContain('The download window has closed.');
      expect(await page.getByRole('link', { name: 'Download CSV' }).count()).toBe(0);
      await screenshot(page, 'admin-batch-closed-en');
      server.context.clock.advance(-16 * MINUTE);
      await context.close();
    },
  );

  it(
    'the row menu works with the keyboard alone: Enter ' + 'opens, arrows move, Escape closes, Enter activates',
    async () => {
      const context = await newContext('en');
      const page = await context.newPage();
      await signInAsAdmin(page, 'en');
      // Carla holds an active code (from the batch above, or given here): her menu has four items.
      await issueAccessCode(server.context.deps, { personId: ids.get('Carla Diaz')!, actor: CLI_ACTOR });
      await page.goto(`${server.baseUrl}/admin/people?q=carla`);
      const button = row(page, 'Carla Diaz').getByRole('button', { name: LABELS.en.moreOptions });
      const menuId = (await button.getAttribute('aria-controls'))!;
      const focused = (): Promise<string> =>
        page.evaluate(() => {
          const active = document.activeElement;
          return `${active?.getAttribute('role') ?? active?.tagName}:${active?.textContent?.trim()}`;
        });

      // Tab from the search box to the row's menu button.
      await page.getByRole('searchbox', { name: 'Search' }).focus();
      for (let i = 0; i < 30; i++) {
        if (await button.evaluate((el) => el === document.activeElement)) break;
        await page.keyboard.press('Tab');
      }
      expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await button.getAttribute('aria-haspopup')).toBe('menu');
      expect(await button.getAttribute('aria-expanded')).toBe('false');

      await page.keyboard.press('Enter');
      expect(await button.getAttribute('aria-expanded')).toBe('true');
      expect(await page.locator(`#${menuId}`).isVisible()).toBe(true);
      expect(await focused()).toBe(`menuitem:${LABELS.en.getAccessCode}`);
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe(`menuitem:${LABELS.en.deactivateAccessCode}`);
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('menuitem:Edit');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('menuitem:Deactivate person');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe(`menuitem:${LABELS.en.getAccessCode}`);
      await page.keyboard.press('ArrowUp');
      expect(await focused()).toBe('menuitem:Deactivate person');
      await page.keyboard.press('Escape');
      expect(await page.locator(`#${menuId}`).isVisible()).toBe(false);
      expect(await button.getAttribute('aria-expanded')).toBe('false');
      expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);

      // ArrowUp opens on the last item; Space opens on the first; Enter follows the focused item.
      await page.keyboard.press('ArrowUp');
      expect(await focused()).toBe('menuitem:Deactivate person');
      await page.keyboard.press('Escape');
      await page.keyboard.press(' ');
      expect(await focused()).toBe(`menuitem:${LABELS.en.getAccessCode}`);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe('menuitem:Edit');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${server.baseUrl}/admin/people/${ids.get('Carla Diaz')}`);
      expect(await page.locator('h1').textContent()).toBe('Carla Diaz');
      await context.close();
    },
  );

  it('imports people from a CSV file and shows the report line by line', async () => {
    const context = await newContext('en');
    const page = await context.newPage();
    await signInAsAdmin(page, 'en');
    await page.goto(`${server.baseUrl}/admin/people/import`);
    const file =
      'name,username,email,department\nGreta Garbo,greta.g,,Stage\nBad Row,x,,\nCarla Diaz,carla.d,,Office\n';
    await page
      .getByLabel('CSV file')
      .setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.locator('[data-import-report]').isVisible()).toBe(true);
    const report = (await page.locator('[data-import-report]').textContent())!.replace(/\s+/g, ' ');
    expect(report).toContain('Added: 1');
    expect(report).toContain('Updated: 1');
    expect(report).toContain('Unchanged: 0');
    expect(report).toContain('Rows with errors: 1');
    expect(report).toContain('Line 3: Username must be');
    await screenshot(page, 'admin-import-report-en');
    await expectAccessible(page, 'import report');
    await context.close();
  });

  it('People, a person and a code shown once work on a phone, in Swedish', async () => {
    const context = await newContext('sv', { width: 390, height: 844 });
    const page = await context.newPage();
    await signInAsAdmin(page, 'sv');
    await page.goto(`${server.baseUrl}/admin/people?hasEmail=false`);
    await expectAccessible(page, 'people on a phone');
    // The table scrolls inside its own box; the page itself never scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'admin-people-sv-phone');
    await row(page, 'Åsa Öberg').getByRole('button', { name: LABELS.sv.moreOptions }).click();
    await page.getByRole('menuitem', { name: LABELS.sv.getAccessCode, exact: true }).click();
    await page.getByRole('button', { name: LABELS.sv.getAccessCode }).click();
    await page.waitForURL(/\/shown\?/);
    // The code fits the screen: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'code shown on a phone');
    await screenshot(page, 'admin-code-shown-sv-phone');
    await context.close();
  });

  it('every admin page passes axe-core (WCAG 2.2 A/AA) in English and Swedish', async () => {
    const { deps } = server.context;
    const withCode = await createPerson(
      deps,
      { name: 'Hanna Kod', username: 'hanna.kod', department: 'Office', location: 'Lund' },
      CLI_ACTOR,
    );
    await issueAccessCode(deps, { personId: withCode.id, actor: CLI_ACTOR });
    const target = ids.get('Bo Ek')!;
    for (const locale of ['en', 'sv'] as const) {
      const context = await newContext(locale);
      const page = await context.newPage();
      await signInAsAdmin(page, locale);
      const check = async (name: string): Promise<void> => {
        expect(await page.locator('html').getAttribute('lang')).toBe(locale);
        await expectAccessible(page, `${name} (${locale})`);
        await screenshot(page, `admin-${name}-${locale}`);
      };
      const visit = async (path: string, name: string): Promise<void> => {
        await page.goto(`${server.baseUrl}${path}`);
        await check(name);
      };
      const L = LABELS[locale];

      await visit('/admin/people', 'people');
      expect(await page.locator('h1').textContent()).toBe(L.people);
      await page.getByRole('button', { name: L.moreOptions, exact: true }).first().click();
      await expect
        .poll(() => page.getByRole('menuitem', { name: L.getAccessCodes, exact: true }).isVisible())
        .toBe(true);
      await check('people-top-menu');
      await visit('/admin/people?hasEmail=false&department=Warehouse', 'people-filtered');
      await row(page, 'Bo Ek').getByRole('button', { name: L.moreOptions }).click();
      await expect
        .poll(() => page.getByRole('menuitem', { name: L.getAccessCode, exact: true }).isVisible())
        .toBe(true);
      await check('people-row-menu');
      await visit(`/admin/people/${withCode.id}`, 'person');
      await visit('/admin/people/new', 'person-new');
      await page.getByRole('button', { name: locale === 'sv' ? 'Lägg till person' : 'Add person' }).click();
      await page.waitForLoadState();
      expect(await page.locator('.error-summary').isVisible()).toBe(true);
      await check('person-new-errors');
      await visit(`/admin/people/${target}/deactivate`, 'person-deactivate');
      await visit(`/admin/people/${target}/access-code`, 'code-issue');
      await page.getByRole('button', { name: L.getAccessCode }).click();
      await page.waitForURL(/\/shown\?/);
      await check('code-shown');
      await page.reload();
      await check('code-gone');
      await visit(`/admin/people/${withCode.id}/access-code/deactivate`, 'code-deactivate');
      expect(await page.locator('h1').textContent()).toBe(L.deactivateAccessCode);
      await visit('/admin/access-codes/issue?hasEmail=false', 'bulk-issue');
      await visit('/admin/access-codes/deactivate?department=Office&selection=1', 'bulk-deactivate');
      await visit('/admin/people/import', 'import');
      await visit('/admin/audit', 'audit');
      expect(await page.locator('h1').textContent()).toBe(L.auditLog);
      await visit(`/admin/audit?person=${target}`, 'audit-person');
      await context.close();
    }
  }, 180_000); // dozens of pages in two languages; a loaded CI machine needs more than the default minute
});
