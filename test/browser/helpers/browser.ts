// Real-browser tests: a real Keyslip server listening on a free local port (SQLite in a temp
// file), Chromium driven by playwright-core, axe-core for the accessibility check, and
// screenshots under test-artifacts/screenshots/ (gitignored) to look at.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../../src/app.js';
import { systemClock } from '../../../src/lib/clock.js';
import { createTestContext, type TestContext } from '../../helpers/deps.js';

export const CHROMIUM_PATH = process.env.KEYSLIP_CHROMIUM ?? '/usr/bin/chromium';
/** Browser tests run only where Chromium is installed (CI installs it); elsewhere they are skipped. */
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const SKIP_REASON =
  `Chromium not found at ${CHROMIUM_PATH}: ` +
  'browser tests skipped (apt-get install chromium, or set KEYSLIP_CHROMIUM).';
if (!HAS_CHROMIUM) console.warn(SKIP_REASON);

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

export interface TestServer {
  baseUrl: string;
  context: TestContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Keyslip in-process on 127.0.0.1:<free port>, its base URL matching that port. With
 * `wallClock`, Keyslip keeps the real time (as oidc-provider does) instead of the test clock.
 */
export async function startServer(
  env: Record<string, string> = {},
  options: { wallClock?: boolean } = {},
): Promise<TestServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyslip-browser-'));
  const context = await createTestContext('sqlite', {
    sqliteFile: path.join(dir, 'keyslip.db'),
    env: { KEYSLIP_BASE_URL: baseUrl, ...env },
  });
  if (options.wallClock) context.deps = { ...context.deps, clock: systemClock };
  const app = await buildApp(context.deps);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    baseUrl,
    context,
    app,
    close: async () => {
      await app.close();
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface A11yViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | null = null;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core on the page for WCAG 2.0/2.1/2.2 A and AA; returns the violations (empty is good). */
export async function checkA11y(page: Page): Promise<A11yViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated through the DevTools protocol rather than added as a <script>: the page's CSP
  // (script-src 'self') stays in force for everything else, as users get it.
  axeSource ??= readFileSync(AXE_PATH, 'utf8');
  // axe-core is injected into the test page, as its docs show; never in Keyslip itself.
  // biome-ignore lint/security/noGlobalEval: the test page only, see above
  if (!loaded) await page.evaluate((source) => globalThis.eval(source), axeSource);
  const result = await page.evaluate(async (tags) => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
          }>;
        };
      }
    ).axe;
    const outcome = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return outcome.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  }, WCAG_TAGS);
  return result;
}

/** Saves a full-page PNG as test-artifacts/screenshots/<name>.png; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
