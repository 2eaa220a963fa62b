import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../test/helpers/server.js';
import { checkpointInBackground } from './checkpoints.js';
import { Sqlite, type SqliteConnection } from './sqlite-driver.js';

// The worker runs compiled JavaScript: the one in dist/, built when stale (as the flow tests do).
const WORKER = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/src/db/checkpoint-worker.js'));

const opened: SqliteConnection[] = [];
afterEach(() => {
  for (const sqlite of opened.splice(0)) if (sqlite.open) sqlite.close();
});

function openFile(): { sqlite: SqliteConnection; file: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-checkpoints-')), 'k.db');
  const sqlite = new Sqlite(file);
  opened.push(sqlite);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table t (id integer primary key, v text not null)');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return { sqlite, file };
}

/** Rows the database file itself holds, the WAL left out: a copy of the main file alone is read. */
function rowsInMainFile(file: string): number {
  const copy = `${file}.main-only`;
  fs.copyFileSync(file, copy);
  const reader = new Sqlite(copy, { readonly: true });
  try {
    return (reader.prepare('select count(*) as n from t').get() as { n: number }).n;
  } finally {
    reader.close();
    fs.rmSync(copy);
  }
}

async function writeRows(sqlite: SqliteConnection, n: number): Promise<void> {
  const insert = sqlite.prepare('insert into t (v) values (?)');
  for (let i = 0; i < n; i += 1) insert.run(`row ${i}`);
}

describe('SQLite checkpoints on a worker thread', () => {
  beforeAll(ensureBuilt, 180_000);

  it('commits reach the database file without the writing connection checkpointing', async () => {
    const { sqlite, file } = openFile();
    const checkpoints = checkpointInBackground(sqlite, { intervalMs: 20, workerUrl: WORKER });
    expect(checkpoints).not.toBeNull();
    await writeRows(sqlite, 200);
    const deadline = Date.now() + 5_000;
    while (rowsInMainFile(file) < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(rowsInMainFile(file)).toBe(200);
    await checkpoints?.stop();
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('without it, the same commits stay in the WAL (below the automatic threshold)', async () => {
    const { sqlite, file } = openFile();
    await writeRows(sqlite, 200);
    await new Promise((r) => setTimeout(r, 100));
    expect(rowsInMainFile(file)).toBe(0);
  });

  it('an in-memory database gets no thread', () => {
    const sqlite = new Sqlite(':memory:');
    opened.push(sqlite);
    expect(checkpointInBackground(sqlite)).toBeNull();
  });
});
