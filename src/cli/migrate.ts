import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';

export async function migrate(): Promise<number> {
  const config = loadConfig();
  const handle = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    const applied = await migrateToLatest(handle.db);
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    return 0;
  } finally {
    await handle.close();
  }
}
