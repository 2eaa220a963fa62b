import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { UsageError } from './usage.js';

/** SQLite's online backup: a consistent copy while the server keeps running. */
export async function backup(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  const file = positionals[0];
  if (!file) throw new UsageError('Give the backup file: keyslip backup FILE');
  const config = loadConfig();
  const handle = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    if (!handle.sqlite) {
      process.stderr.write('This Keyslip uses PostgreSQL: back it up with pg_dump (see docs/operations.md).\n');
      return 2;
    }
    if (fs.existsSync(file)) throw new UsageError(`${file} already exists; choose a new file name.`);
    await handle.sqlite.backup(file);
    fs.chmodSync(file, 0o600);
    process.stdout.write(`Backed up to ${file}. Keep it as safe as the database: it holds the directory and the audit log.\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
