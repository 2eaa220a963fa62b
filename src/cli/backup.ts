import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { Interrupted, interruptible, Progress, progressModeOf } from './progress.js';
import { EXIT, PROGRESS_OPTIONS, UsageError } from './usage.js';

/** Pages copied per step: small enough for a lively progress line, large enough to be quick. */
const PAGES_PER_STEP = 2_000;

/** SQLite's online backup: a consistent copy while the server keeps running. */
export async function backup(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: PROGRESS_OPTIONS, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new UsageError('Give the backup file: keyslip backup FILE');
  const config = loadConfig();
  const handle = openDatabase(config.databaseUrl, { poolSize: 1 });
  const interrupt = interruptible();
  let progress: Progress | undefined;
  try {
    if (!handle.sqlite) {
      process.stderr.write('This Keyslip uses PostgreSQL: back it up with pg_dump (see docs/operations.md).\n');
      return 2;
    }
    if (fs.existsSync(file)) throw new UsageError(`${file} already exists; choose a new file name.`);
    const shown = new Progress({ label: 'Backing up', unit: 'pages', mode: progressModeOf(values) });
    progress = shown;
    let pages = 0;
    await handle.sqlite.backup(file, {
      progress: ({ totalPages, remainingPages }) => {
        // Throwing here makes better-sqlite3 abandon the copy (and delete the partial file).
        interrupt.check();
        pages = totalPages;
        shown.setTotal(totalPages);
        shown.update(totalPages - remainingPages);
        return PAGES_PER_STEP;
      },
    });
    fs.chmodSync(file, 0o600);
    shown.finish(pages);
    const result = { file, pages };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `Backed up to ${file}. Keep it as safe as the database: it holds the directory and the audit log.\n`,
      );
    return 0;
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    progress?.clear();
    fs.rmSync(file, { force: true });
    process.stderr.write(`Stopped by Ctrl-C: no backup was written (${file} removed).\n`);
    return EXIT.interrupted;
  } finally {
    interrupt.dispose();
    await handle.close();
  }
}
