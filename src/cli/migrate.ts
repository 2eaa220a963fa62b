import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateOneUp, pendingMigrations } from '../db/migrate.js';
import { Progress, progressModeOf } from './progress.js';
import { PROGRESS_OPTIONS } from './usage.js';

/** Applies the pending migrations one at a time, with progress when there is work. */
export async function migrate(args: string[] = []): Promise<number> {
  const { values } = parseArgs({ args, options: PROGRESS_OPTIONS });
  const config = loadConfig();
  const handle = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    const pending = await pendingMigrations(handle.db);
    const progress = new Progress({
      label: 'Migrating',
      unit: 'migrations',
      total: pending.length,
      mode: progressModeOf(values),
    });
    const applied: string[] = [];
    if (pending.length > 0) {
      progress.update(0);
      // Another instance may apply some meanwhile: each step takes the migration lock, and stops when none is left.
      for (let name = await migrateOneUp(handle.db); name !== null; name = await migrateOneUp(handle.db)) {
        applied.push(name);
        progress.update(applied.length);
      }
      progress.finish(applied.length);
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ applied })}\n`);
    else process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    return 0;
  } finally {
    await handle.close();
  }
}
