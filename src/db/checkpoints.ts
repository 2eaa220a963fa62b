// SQLite checkpoints off the event loop. In WAL mode every commit appends pages to the -wal file,
// and the connection whose commit passes wal_autocheckpoint (1,000 pages) copies them back into the
// database and fsyncs it, inside that commit: on the server's one connection, a sign-in's commit
// then held the event loop for 25–50 ms (p99 of a commit at 100,000 people on 2 vCPUs; p50 80 µs),
// stalling every request and the Argon2 queue behind it. A worker thread with a connection of its
// own does the checkpoints instead; the server's connection keeps a far higher threshold only as a
// safety net, so the WAL stays bounded even if the thread falls behind.
import { Worker } from 'node:worker_threads';
import type { SqliteConnection } from './sqlite-driver.js';

/** How often the thread checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 250;
/** The server connection's own threshold (pages, 4 KiB each) while the thread runs: about 40 MB. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

export interface BackgroundCheckpoints {
  /** Stops the thread (after its current checkpoint) and gives the connection back its default. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `sqlite`'s file from a worker thread. Null for an in-memory database.
 * `workerUrl` is the compiled checkpoint-worker.js (the default: beside this module in dist/).
 */
export function checkpointInBackground(
  sqlite: SqliteConnection,
  options: { intervalMs?: number; workerUrl?: URL } = {},
): BackgroundCheckpoints | null {
  if (sqlite.memory) return null;
  const worker = new Worker(options.workerUrl ?? new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { file: sqlite.name, intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  // A thread that dies leaves the checkpoints to the connection's own (raised) threshold.
  worker.on('error', () => sqlite.pragma('wal_autocheckpoint = 1000'));
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
      }),
  };
}
