// Failure counters in fixed windows, kept in the database so every instance sees the same count.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface Window {
  /** Window length in milliseconds. */
  size: number;
  /** How many failures a window tolerates. */
  limit: number;
}

export interface LimitState {
  count: number;
  limited: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

function windowStart(now: number, size: number): number {
  return Math.floor(now / size) * size;
}

function stateOf(count: number, window: Window, now: number): LimitState {
  const start = windowStart(now, window.size);
  return { count, limited: count >= window.limit, retryAfterSeconds: Math.max(1, Math.ceil((start + window.size - now) / 1000)) };
}

export async function readLimit(db: Db, key: string, window: Window, now: number): Promise<LimitState> {
  const row = await db
    .selectFrom('rate_limits')
    .select('count')
    .where('key', '=', key)
    .where('window_start', '=', windowStart(now, window.size))
    .executeTakeFirst();
  return stateOf(row?.count ?? 0, window, now);
}

/** Counts one failure (an atomic upsert) and returns the state after it. */
export async function recordFailure(db: Db, key: string, window: Window, now: number): Promise<LimitState> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart(now, window.size), count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  return stateOf(row.count, window, now);
}

/** Drops windows that ended before `before`. */
export async function pruneRateLimits(db: Db, before: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', before).execute();
}
