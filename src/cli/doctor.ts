// `keyslip doctor`: checks a deployment as the server would see it, before a user meets it. It
// only reads: it never creates the data folder, the secret file or the database, and never migrates.
import { lookup } from 'node:dns/promises';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { fallbackFontCandidates, parseFallbackFontSetting } from '../access-codes/fallback-fonts.js';
import { fontGlyphs, fontPath, missingCharacters } from '../access-codes/slips.pdf.js';
import { ConfigError, loadConfig, type Config, type Env } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';
import { EXIT } from './usage.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do, for warn and fail. */
  fix?: string;
}

export interface DoctorOptions {
  env?: Env;
  cwd?: string;
  /** This machine's clock (a test gives a skewed one). */
  now?: () => number;
  /** Host name resolution (a test gives one that fails). */
  resolve?: (host: string) => Promise<unknown>;
}

/** Clock skew against the database beyond which codes and sessions expire at visibly wrong times. */
const SKEW_WARN_MS = 2_000;
const SKEW_FAIL_MS = 60_000;
const MIN_POSTGRES = 130000;

export async function runDoctor(options: DoctorOptions = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const checks: Check[] = [];
  const add = (check: Check): void => {
    checks.push(check);
  };

  let config: Config;
  try {
    config = loadConfig(env, options.cwd);
    add({ name: 'Configuration', status: 'ok', message: 'every KEYSLIP_* setting is valid' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      add({
        name: 'Configuration',
        status: 'fail',
        message: problem,
        fix: 'correct this setting; the server refuses to start until then',
      });
    }
    add({ name: 'Everything else', status: 'skip', message: 'not checked until the configuration is valid' });
    return checks;
  }

  checkSecret(config, add);
  await checkBaseUrl(config, env, add, options.resolve ?? ((host) => lookup(host)));
  const handle = await checkDatabase(config, add);
  if (handle) {
    try {
      await checkFonts(config, handle, add);
      await checkOidcKeys(handle, add);
      await checkClock(handle, now, add);
    } finally {
      await handle.close();
    }
  } else {
    add({ name: 'PDF fonts, OIDC keys, clock', status: 'skip', message: 'not checked without a database' });
  }
  return checks;
}

function modeOf(file: string): number | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? stat.mode & 0o777 : null;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function checkSecret(config: Config, add: (check: Check) => void): void {
  if (config.secrets.length > 0) {
    add({
      name: 'Secret',
      status: 'ok',
      message: `KEYSLIP_SECRET has ${config.secrets.length} secret(s), each of 32 characters or more`,
    });
    return;
  }
  const file = path.join(config.dataDir, 'secret');
  const mode = modeOf(file);
  const shared = 'instances that share a database must share KEYSLIP_SECRET';
  if (mode === null) {
    add({
      name: 'Secret',
      status: 'warn',
      message: `no KEYSLIP_SECRET and no ${file} yet: the server will generate one at its first start`,
      fix: `set KEYSLIP_SECRET (openssl rand -base64 48) if more than one instance runs; ${shared}`,
    });
    return;
  }
  const secrets = fs
    .readFileSync(file, 'utf8')
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 32);
  if (secrets.length === 0) {
    add({
      name: 'Secret',
      status: 'fail',
      message: `${file} holds no secret of 32 characters or more`,
      fix: `remove ${file} (a new one is generated) or set KEYSLIP_SECRET`,
    });
  } else if ((mode & 0o077) !== 0) {
    add({
      name: 'Secret',
      status: 'fail',
      message: `${file} can be read by other users (mode ${octal(mode)})`,
      fix: `chmod 600 ${file}`,
    });
  } else {
    add({
      name: 'Secret',
      status: 'ok',
      message: `${file} (mode ${octal(mode)}, ${secrets.length} secret(s) of 32 characters or more)`,
    });
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

async function checkBaseUrl(
  config: Config,
  env: Env,
  add: (check: Check) => void,
  resolve: (host: string) => Promise<unknown>,
): Promise<void> {
  const url = new URL(config.baseUrl);
  const loopback = LOOPBACK.test(url.hostname);
  const production = env.NODE_ENV === 'production' || !loopback;
  if (url.protocol !== 'https:' && production) {
    const why = env.NODE_ENV === 'production' ? 'NODE_ENV is production' : 'it is not a local address';
    add({
      name: 'Base URL',
      status: 'fail',
      message: `${config.baseUrl} is not https, and ${why}: session cookies would go without the Secure flag`,
      fix: 'serve Keyslip behind TLS and set KEYSLIP_BASE_URL=https://…',
    });
    return;
  }
  if (loopback) {
    add({ name: 'Base URL', status: 'ok', message: `${config.baseUrl} (local only: fine for a trial, not for users)` });
    return;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) {
    try {
      await withTimeout(resolve(host), 5_000);
    } catch {
      add({
        name: 'Base URL',
        status: 'fail',
        message: `${host} does not resolve: the links on slips would lead nowhere`,
        fix: 'check the DNS name in KEYSLIP_BASE_URL',
      });
      return;
    }
  }
  add({ name: 'Base URL', status: 'ok', message: config.baseUrl });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(config: Config, add: (check: Check) => void): Promise<DatabaseHandle | null> {
  const sqliteFile = config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.replace(/^sqlite:/, '') : null;
  if (sqliteFile !== null && sqliteFile !== ':memory:') {
    // Before opening: opening a SQLite file creates it, and sets its mode to 0600.
    const mode = modeOf(sqliteFile);
    if (mode === null) {
      add({
        name: 'Database',
        status: 'fail',
        message: `no database at ${sqliteFile}`,
        fix: 'run keyslip migrate (or start the server once), or correct KEYSLIP_DATA_DIR',
      });
      return null;
    }
    const loose = [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`].filter(
      (file) => ((modeOf(file) ?? 0) & 0o077) !== 0,
    );
    if (loose.length > 0) {
      add({
        name: 'Database file',
        status: 'fail',
        message: `${loose.join(', ')} can be read by other users`,
        fix: `chmod 600 ${loose.join(' ')}`,
      });
    } else {
      try {
        fs.accessSync(sqliteFile, fs.constants.R_OK | fs.constants.W_OK);
        fs.accessSync(path.dirname(sqliteFile), fs.constants.W_OK);
        add({ name: 'Database file', status: 'ok', message: `${sqliteFile} (mode ${octal(mode)})` });
      } catch {
        add({
          name: 'Database file',
          status: 'fail',
          message: `this user cannot write ${sqliteFile} or its folder`,
          fix: 'run Keyslip as the user that owns the data folder',
        });
      }
    }
  }

  const handle = openDatabase(config.databaseUrl, { poolSize: 1, keepFileMode: true });
  const where = sqliteFile ?? redactedUrl(config.databaseUrl);
  try {
    await sql`select 1`.execute(handle.db);
  } catch (error) {
    await handle.close().catch(() => undefined);
    const reason = (error as Error).message || String((error as { code?: string }).code ?? error);
    add({
      name: 'Database',
      status: 'fail',
      message: `cannot reach ${where}: ${reason}`,
      fix: 'check KEYSLIP_DATABASE_URL, and that the database server runs and accepts this user',
    });
    return null;
  }
  add({ name: 'Database', status: 'ok', message: `reachable (${handle.dialect}, ${where})` });

  if (handle.dialect === 'postgres') {
    const version = Number(
      (await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(handle.db)).rows[0]?.v,
    );
    const shown = `${Math.floor(version / 10000)}.${version % 10000}`;
    if (version < MIN_POSTGRES)
      add({
        name: 'PostgreSQL version',
        status: 'fail',
        message: `${shown}; Keyslip needs 13 or newer`,
        fix: 'upgrade PostgreSQL',
      });
    else add({ name: 'PostgreSQL version', status: 'ok', message: shown });
    const trgm = await sql<{
      installed: string | null;
    }>`select installed_version as installed from pg_available_extensions where name = 'pg_trgm'`.execute(handle.db);
    if (trgm.rows.length === 0) {
      add({
        name: 'pg_trgm',
        status: 'fail',
        message: 'the pg_trgm extension is not available on this server',
        fix: 'install the PostgreSQL contrib package (Debian: part of the server package)',
      });
    } else if (trgm.rows[0]!.installed === null) {
      add({
        name: 'pg_trgm',
        status: 'warn',
        message: 'available but not yet installed in this database',
        fix: 'keyslip migrate installs it (a superuser must if the role may not: create extension pg_trgm)',
      });
    } else {
      add({ name: 'pg_trgm', status: 'ok', message: `installed (${trgm.rows[0]!.installed})` });
    }
  }

  const pending = await pendingMigrations(handle.db);
  if (pending.length > 0) {
    add({
      name: 'Migrations',
      status: 'fail',
      message: `${pending.length} not applied: ${pending.join(', ')}`,
      fix: 'keyslip migrate',
    });
    // Without the tables the later checks would only repeat this one.
    await handle.close();
    return null;
  }
  add({ name: 'Migrations', status: 'ok', message: 'current' });
  return handle;
}

/** The database URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'KEYSLIP_DATABASE_URL';
  }
}

/** Unicode scripts named in the fonts check, so the operator knows which font package to install. */
const SCRIPTS: [string, RegExp][] = [
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Ethiopic', /\p{Script=Ethiopic}/u],
];

async function checkFonts(config: Config, handle: DatabaseHandle, add: (check: Check) => void): Promise<void> {
  if (config.pdfFallbackFont) {
    const face = parseFallbackFontSetting(config.pdfFallbackFont);
    if (!fs.existsSync(face.path)) {
      add({
        name: 'PDF fonts',
        status: 'fail',
        message: `KEYSLIP_PDF_FALLBACK_FONT names ${face.path}, which does not exist`,
        fix: 'correct the path, or unset it',
      });
      return;
    }
  }
  // Only names beyond printable ASCII and Latin-1 can lack a glyph in DejaVu; the others are not read.
  const outside =
    handle.dialect === 'postgres'
      ? sql`name ~ ${'[^\\x20-\\x7e\\xa0-\\xff]'}`
      : sql`name glob ${'*[^ -~\u00a0-\u00ff]*'}`;
  const rows = await sql<{ name: string }>`select name from people where ${outside}`.execute(handle.db);
  const dejavu = fontGlyphs(fontPath('DejaVuSans.ttf'));
  const missing = new Set<string>();
  let people = 0;
  for (const { name } of rows.rows) {
    const chars = missingCharacters(dejavu, name);
    if (chars.length > 0) people += 1;
    for (const char of chars) missing.add(char);
  }
  if (missing.size === 0) {
    add({ name: 'PDF fonts', status: 'ok', message: 'the shipped DejaVu fonts draw every name in the directory' });
    return;
  }
  const text = [...missing].join('');
  const scripts = SCRIPTS.filter(([, pattern]) => pattern.test(text)).map(([script]) => script);
  const what = `${people} name(s) need characters DejaVu lacks (${scripts.join(', ') || 'other scripts'})`;
  for (const candidate of fallbackFontCandidates(config.pdfFallbackFont || undefined)) {
    try {
      const glyphs = fontGlyphs(candidate.regular.path, candidate.regular.postscriptName);
      const uncovered = missingCharacters(glyphs, text);
      if (uncovered.length === 0) {
        add({
          name: 'PDF fonts',
          status: 'ok',
          message: `${what}; ${path.basename(candidate.regular.path)} draws them`,
        });
        return;
      }
    } catch {
      // A font file that does not load: try the next, as the slips do.
    }
  }
  add({
    name: 'PDF fonts',
    status: 'fail',
    message: `${what}, and no font on this machine draws them all: their slips would show empty boxes`,
    fix: 'install fonts-noto-cjk (Debian/Ubuntu), or set KEYSLIP_PDF_FALLBACK_FONT to a font that has them',
  });
}

async function tableExists(handle: DatabaseHandle, table: string): Promise<boolean> {
  const tables = await handle.db.introspection.getTables();
  return tables.some((t) => t.name === table);
}

async function checkOidcKeys(handle: DatabaseHandle, add: (check: Check) => void): Promise<void> {
  // OpenID Connect comes with its own migration; before it, there is nothing to check.
  if (!(await tableExists(handle, 'oidc_keys'))) {
    add({ name: 'OIDC signing keys', status: 'skip', message: 'OpenID Connect is not set up in this database' });
    return;
  }
  const row = await sql<{ n: number | string }>`select count(*) as n from oidc_keys`.execute(handle.db);
  const count = Number(row.rows[0]?.n ?? 0);
  if (count === 0) {
    // Not a fault: the server makes the first pair when it starts (or `keyslip keys rotate` does).
    add({
      name: 'OIDC signing keys',
      status: 'skip',
      message: 'none yet: the server creates the first pair when it starts (or run keyslip keys rotate)',
    });
  } else {
    add({ name: 'OIDC signing keys', status: 'ok', message: `${count} key(s)` });
  }
}

async function checkClock(handle: DatabaseHandle, now: () => number, add: (check: Check) => void): Promise<void> {
  if (handle.dialect === 'sqlite') {
    add({ name: 'Clock', status: 'ok', message: 'SQLite runs on this machine, on its clock' });
    return;
  }
  const before = now();
  const { rows } = await sql<{
    ms: number | string;
  }>`select extract(epoch from clock_timestamp()) * 1000 as ms`.execute(handle.db);
  const after = now();
  const skew = Number(rows[0]?.ms) - (before + after) / 2;
  const shown = `${(skew / 1000).toFixed(1)} s`;
  const fix =
    'synchronise both clocks with NTP (timedatectl set-ntp true): expiry times of codes and sessions depend on them';
  if (Math.abs(skew) >= SKEW_FAIL_MS)
    add({ name: 'Clock', status: 'fail', message: `this machine and the database differ by ${shown}`, fix });
  else if (Math.abs(skew) >= SKEW_WARN_MS)
    add({ name: 'Clock', status: 'warn', message: `this machine and the database differ by ${shown}`, fix });
  else add({ name: 'Clock', status: 'ok', message: `within ${SKEW_WARN_MS / 1000} s of the database's (${shown})` });
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '–' };

/** `keyslip doctor [--json]`: exit code 1 when a check failed (something would break users). */
export async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const checks = await runDoctor();
  const failed = checks.filter((check) => check.status === 'fail').length;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed === 0, checks })}\n`);
  } else {
    const lines = checks.map((check) => {
      const head = `${MARK[check.status]} ${check.name}: ${check.message}`;
      return check.fix && check.status !== 'ok' ? `${head}\n    fix: ${check.fix}` : head;
    });
    const verdict = failed === 0 ? 'No problem found.' : `${failed} problem(s) would break users: fix each ✗ above.`;
    process.stdout.write(`${lines.join('\n')}\n\n${verdict}\n`);
  }
  return failed === 0 ? EXIT.ok : EXIT.failed;
}
