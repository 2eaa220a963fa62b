// Failure counters in fixed windows, kept in the database so every instance sees the same count.
import { isIPv6 } from 'node:net';
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

/**
 * What a per-address limit counts against. An IPv6 client is normally given a whole /64 (2^64
 * addresses to rotate through), so IPv6 addresses count by their /64 prefix; an IPv4-mapped
 * address (::ffff:192.0.2.1) counts as the IPv4 address; anything else as itself.
 */
export function addressGroupOf(ip: string | null): string {
  if (!ip) return 'unknown';
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return ip;
  const groupsOf = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const [head = '', tail] = address.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
