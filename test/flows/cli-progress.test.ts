// The CLI an operator meets: help per command, --version, unknown flags named with the nearest
// valid one, exit codes, and progress on long work, drawn in place on a terminal (a real
// pseudo-terminal), plain when piped, JSON lines with --json, nothing with --quiet; Ctrl-C
// keeps an import's committed chunks and leaves a bulk issue all or nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { runCli, startCli, writePeopleCsv } from '../helpers/cli.js';
import { DIALECTS, freshPostgresSchema, TEST_SECRET } from '../helpers/deps.js';
import { ensureBuilt } from '../helpers/server.js';

const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('keyslip CLI: help, version, flags, exit codes, progress (sqlite)', () => {
  const dirs: string[] = [];
  const freshEnv = (): NodeJS.ProcessEnv => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-cli-'));
    dirs.push(dataDir);
    return {
      PATH: process.env.PATH,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_LOG_LEVEL: 'silent',
    };
  };
  const count = async (env: NodeJS.ProcessEnv, table: 'people' | 'access_codes' | 'batches'): Promise<number> => {
    const handle = openDatabase(`sqlite:${path.join(env.KEYSLIP_DATA_DIR!, 'keyslip.db')}`);
    try {
      const row = await handle.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    } finally {
      await handle.close();
    }
  };

  beforeAll(async () => {
    await ensureBuilt();
  }, 240_000);
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    '--version prints the version; COMMAND --help explains ' + 'that command: every flag, an example, the environment',
    async () => {
      const env = freshEnv();
      const version = await runCli(['--version'], env);
      expect(version.code).toBe(0);
      expect(version.stdout).toBe(`keyslip ${VERSION}\n`);

      const help = await runCli(['codes', 'issue', '--help'], env);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: keyslip codes issue /);
      for (const flag of [
        '--no-email',
        '--department',
        '--location',
        '--out FILE',
        '--lifetime-hours H',
        '--lang',
        '--json',
        '--quiet',
      ]) {
        expect(help.stdout).toContain(flag);
      }
      expect(help.stdout).toMatch(/Examples?:\n {2}keyslip codes issue/);
      expect(help.stdout).toContain('Environment: KEYSLIP_DATABASE_URL');
      expect(help.stdout).toContain('KEYSLIP_PDF_FALLBACK_FONT');
      // Not the general usage any more: another command's help says something else.
      const other = await runCli(['backup', '--help'], env);
      expect(other.stdout).toMatch(/^Usage: keyslip backup FILE/);
      expect(other.stdout).not.toContain('--no-email');

      const general = await runCli(['--help'], env);
      expect(general.code).toBe(0);
      expect(general.stdout).toContain('doctor');
      expect(general.stdout).toContain('3 cannot reach the database');
    },
  );

  it('an unknown flag is named, with the nearest valid one (exit 2); an unknown command too', async () => {
    const env = freshEnv();
    const flag = await runCli(['people', 'import', 'staff.csv', '--jsno'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('Unknown option --jsno for keyslip people import. Did you mean --json?');
    const issue = await runCli(['codes', 'issue', '--no-emial'], env);
    expect(issue.code).toBe(2);
    expect(issue.stderr).toContain('Did you mean --no-email?');
    const command = await runCli(['peple', 'import'], env);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('Did you mean "keyslip people import"?');
  });

  it('exit code 3 when the database cannot be reached', async () => {
    const env = { ...freshEnv(), KEYSLIP_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    const result = await runCli(['token', 'list'], env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('cannot reach the database');
  });

  it('on a terminal the progress line is redrawn in place (\\r), and ends with the result', async () => {
    const env = freshEnv();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    writePeopleCsv(csv, 3_000);
    const result = await runCli(['people', 'import', csv], env, { tty: true });
    expect(result.code, result.stdout).toBe(0);
    // Standard error is the terminal: each drawing goes back to the start of the line and erases it.
    const redraws = result.stdout.split('\r\x1b[2KImporting people: ').length - 1;
    expect(redraws).toBeGreaterThanOrEqual(2);
    expect(result.stdout).toContain('\r\x1b[2KImporting people: 0/3,000 rows');
    expect(result.stdout).toMatch(
      /\r\x1b\[2KImporting people: 3,000\/3,000 rows · 100% · [\d,]+ rows\/s · \d+:\d\d elapsed\r?\n/,
    );
    expect(result.stdout).toContain('Created 3000, updated 0, unchanged 0, refused 0.');
    expect(await count(env, 'people')).toBe(3_000);
  });

  it('piped, progress is plain lines without \\r or escape codes; --quiet prints none', async () => {
    const env = freshEnv();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    writePeopleCsv(csv, 2_000);
    const piped = await runCli(['people', 'import', csv], env);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/[\r\x1b]/);
    expect(piped.stderr).toMatch(/^Importing people: 2,000\/2,000 rows · 100% · [\d,]+ rows\/s · \d+:\d\d elapsed$/m);
    expect(piped.stdout).toBe('Created 2000, updated 0, unchanged 0, refused 0.\n');

    const quiet = await runCli(['people', 'import', csv, '--quiet'], env);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    // The same file again changes nobody.
    expect(quiet.stdout).toBe('Created 0, updated 0, unchanged 2000, refused 0.\n');
  });

  it('--json: progress as JSON lines on standard error, the result on standard output', async () => {
    const env = freshEnv();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    writePeopleCsv(csv, 2_000);
    const result = await runCli(['people', 'import', csv, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ created: 2000, updated: 0, unchanged: 0, errors: [] });
    const events = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]).toMatchObject({
      event: 'progress',
      task: 'Importing people',
      unit: 'rows',
      done: 0,
      total: 2000,
    });
    expect(events.at(-1)).toMatchObject({ event: 'done', done: 2000, total: 2000, remainingMs: 0 });
    expect(typeof events.at(-1)!.ratePerSecond).toBe('number');

    const issued = await runCli(
      ['codes', 'issue', '--json', '--out', path.join(env.KEYSLIP_DATA_DIR!, 'codes.csv')],
      env,
    );
    expect(issued.code, issued.stderr).toBe(0);
    expect(JSON.parse(issued.stdout)).toMatchObject({ count: 2000 });
    const issueEvents = issued.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(issueEvents.filter((e) => e.event === 'done')).toEqual([
      expect.objectContaining({ task: 'Issuing access codes', unit: 'codes', done: 2000, total: 2000 }),
      expect.objectContaining({ task: 'Writing', unit: 'codes', done: 2000, total: 2000 }),
    ]);

    const backupFile = path.join(env.KEYSLIP_DATA_DIR!, 'copy.db');
    const backedUp = await runCli(['backup', backupFile, '--json'], env);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const pages = (JSON.parse(backedUp.stdout) as { pages: number }).pages;
    expect(pages).toBeGreaterThan(0);
    expect(JSON.parse(backedUp.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'done',
      unit: 'pages',
      done: pages,
      total: pages,
    });
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
  });

  it('migrate shows progress when it has work, and none when the database is current', async () => {
    const env = freshEnv();
    const first = await runCli(['migrate', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const applied = (JSON.parse(first.stdout) as { applied: string[] }).applied;
    expect(applied.length).toBeGreaterThan(0);
    expect(JSON.parse(first.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'done',
      unit: 'migrations',
      done: applied.length,
    });
    const again = await runCli(['migrate', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] });
    expect(again.stderr).toBe('');
  });

  it('Ctrl-C during an import keeps the committed chunks and says how far it got', async () => {
    const env = freshEnv();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    writePeopleCsv(csv, 30_000);
    const running = startCli(['people', 'import', csv, '--json'], env);
    // The first progress line is written before the first chunk: Ctrl-C then stops after that chunk.
    await running.stderrLine((line) => line.includes('"event":"progress"'));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(130);
    const stopped = JSON.parse(result.stdout) as { interrupted: boolean; rows: number; line: number };
    expect(stopped.interrupted).toBe(true);
    expect(stopped.rows).toBeGreaterThan(0);
    expect(stopped.rows).toBeLessThan(30_000);
    expect(result.stderr).toContain(
      `Stopped by Ctrl-C after ${stopped.rows} rows (up to line ${stopped.line} of ${csv})`,
    );
    // Exactly the rows it reported: committed chunks stay, nothing half-written.
    expect(await count(env, 'people')).toBe(stopped.rows);
  }, 120_000);

  it('Ctrl-C during a bulk issue issues no code at all', async () => {
    const env = freshEnv();
    const csv = path.join(env.KEYSLIP_DATA_DIR!, 'people.csv');
    writePeopleCsv(csv, 20_000);
    expect((await runCli(['people', 'import', csv, '--quiet'], env)).code).toBe(0);
    const out = path.join(env.KEYSLIP_DATA_DIR!, 'codes.csv');
    const running = startCli(['codes', 'issue', '--out', out, '--json'], env);
    await running.stderrLine((line) => line.includes('"event":"progress"'));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('no access code was issued (a bulk issue is all or nothing)');
    expect(await count(env, 'access_codes')).toBe(0);
    expect(await count(env, 'batches')).toBe(0);
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);
});

describe.skipIf(!DIALECTS.includes('postgres'))('keyslip CLI Ctrl-C (postgres)', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let dataDir: string;
  beforeAll(async () => {
    await ensureBuilt();
    schema = await freshPostgresSchema();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-cli-pg-'));
  }, 240_000);
  afterAll(async () => {
    await schema?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('an import keeps its committed chunks; a bulk issue issues nothing', async () => {
    const env = {
      PATH: process.env.PATH,
      KEYSLIP_DATA_DIR: dataDir,
      KEYSLIP_SECRET: TEST_SECRET,
      KEYSLIP_LOG_LEVEL: 'silent',
      KEYSLIP_DATABASE_URL: schema.url,
    };
    const csv = path.join(dataDir, 'people.csv');
    writePeopleCsv(csv, 10_000);
    const importing = startCli(['people', 'import', csv, '--json'], env);
    await importing.stderrLine((line) => line.includes('"event":"progress"'));
    importing.child.kill('SIGINT');
    const stopped = await importing.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    const rows = (JSON.parse(stopped.stdout) as { rows: number }).rows;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(10_000);

    const handle = openDatabase(schema.url);
    const count = async (table: 'people' | 'access_codes' | 'batches'): Promise<number> =>
      Number(
        (
          await handle.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    try {
      expect(await count('people')).toBe(rows);
      expect((await runCli(['people', 'import', csv, '--quiet'], env)).code).toBe(0);
      const issuing = startCli(['codes', 'issue', '--out', path.join(dataDir, 'codes.csv'), '--json'], env);
      await issuing.stderrLine((line) => line.includes('"event":"progress"'));
      issuing.child.kill('SIGINT');
      const result = await issuing.done;
      expect(result.code, result.stderr).toBe(130);
      expect(await count('access_codes')).toBe(0);
      expect(await count('batches')).toBe(0);
    } finally {
      await handle.close();
    }
  }, 180_000);
});
