// The thread of checkpoints.ts: its own connection to the SQLite file, checkpointing the WAL into
// the database every `intervalMs` (PASSIVE: it takes no lock a writer waits on) until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { Sqlite } from './sqlite-driver.js';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const sqlite = new Sqlite(file, { fileMustExist: true });
let checkpoints = 0;
const timer = setInterval(() => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
    checkpoints += 1;
  } catch {
    // A checkpoint that fails is tried again next time; the server's own connection checkpoints
    // past its (raised) threshold if this thread keeps failing.
  }
}, intervalMs);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  sqlite.close();
  parentPort?.postMessage({ stopped: true, checkpoints });
  parentPort?.close();
});
