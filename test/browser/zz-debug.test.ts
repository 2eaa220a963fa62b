import { it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { createPerson } from '../../src/people/people.service.js';
import { issueAccessCode, redeemAccessCode } from '../../src/access-codes/access-codes.service.js';
import { launchBrowser, startServer } from './helpers/browser.js';

it('debug', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const { deps } = server.context;
  const admin = await createPerson(deps, { name: 'A', username: 'anna.admin', role: 'admin' }, CLI_ACTOR);
  const first = await issueAccessCode(deps, { personId: admin.id, actor: CLI_ACTOR });
  await redeemAccessCode(deps, { code: first.code, username: 'anna.admin', password: 'green ferry at dawn 42', client: { ip: '1', userAgent: null } });
  await createPerson(deps, { name: 'Bo Ek', employeeId: 'E-1', department: 'Warehouse' }, CLI_ACTOR);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('console', (m) => console.log('console', m.text()));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('Username or email').fill('anna.admin');
  await page.getByLabel('Password', { exact: true }).fill('green ferry at dawn 42');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.baseUrl}/`);
  await page.goto(`${server.baseUrl}/admin/people?hasEmail=false&department=Warehouse`);
  await page.locator('tbody tr').first().getByRole('button', { name: 'More options' }).click();
  console.log(await page.evaluate(() => [...document.querySelectorAll('[role=menu]')].map((m) => m.id + ':' + (m as HTMLElement).hidden + ':' + document.activeElement?.textContent)));
  await browser.close();
  await server.close();
});
