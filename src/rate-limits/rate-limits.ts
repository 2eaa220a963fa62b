// Failure counters in fixed windows, kept in the database so every instance sees the same count.
import { isIPv6 } from 'node:net';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import { recordAuditEvent, type AuditAction } from '../audit/audit.js';
import { AppError } from '../errors.js';
import { countRateLimited } from '../lib/metrics.js';

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

/** Where the fixed window of `size` ms that holds `now` starts (the key of its counter row). */
export function windowStartOf(now: number, size: number): number {
  return Math.floor(now / size) * size;
}

const windowStart = windowStartOf;

/** Seconds until the window that holds `now` ends (for Retry-After; at least 1). */
export function secondsLeftIn(window: Window, now: number): number {
  return Math.max(1, Math.ceil((windowStart(now, window.size) + window.size - now) / 1000));
}

function stateOf(count: number, window: Window, now: number): LimitState {
  return { count, limited: count >= window.limit, retryAfterSeconds: secondsLeftIn(window, now) };
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

const countFailure = prepared((db: Db, key: string, start: number) =>
  db
    .insertInto('rate_limits')
    .values({ key, window_start: start, count: 1 })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .returning('count'),
);

/** Counts one failure (an atomic upsert) and returns the state after it. */
export async function recordFailure(db: Db, key: string, window: Window, now: number): Promise<LimitState> {
  const [row] = (await countFailure(db, key, windowStart(now, window.size))).rows;
  if (!row) throw new Error('an upsert returned no row');
  return stateOf(row.count, window, now);
}

/** A slot taken in a window, to give back if the attempt turns out not to be a failure. */
export interface Reservation {
  key: string;
  windowStart: number;
  /** Slots taken in the window, this one included. */
  count: number;
}

export type ReserveResult =
  | { reserved: true; reservation: Reservation }
  | { reserved: false; retryAfterSeconds: number };

const takeSlot = prepared((db: Db, key: string, start: number, limit: number) =>
  db
    .insertInto('rate_limits')
    .values({ key, window_start: start, count: 1 })
    .onConflict((oc) =>
      oc
        .columns(['key', 'window_start'])
        .doUpdateSet({ count: sql`rate_limits.count + 1` })
        .where('rate_limits.count', '<', limit),
    )
    .returning('count'),
);

/**
 * Takes one slot of the window before the attempt is evaluated: increment and compare in one
 * statement (an upsert whose update only applies below the limit), so parallel requests on any
 * number of instances can never take more slots than the limit. Reading the count first and
 * counting the failure after (check-then-act) let a burst through: every request read the same
 * count. No row back means the window is full: the attempt must not be evaluated at all.
 */
export async function reserveAttempt(db: Db, key: string, window: Window, now: number): Promise<ReserveResult> {
  const start = windowStart(now, window.size);
  const [row] = (await takeSlot(db, key, start, window.limit)).rows;
  // A limit of 0 would let the first insert through; limits are at least 1 (config.ts).
  if (row) return { reserved: true, reservation: { key, windowStart: start, count: row.count } };
  return { reserved: false, retryAfterSeconds: stateOf(window.limit, window, now).retryAfterSeconds };
}

/**
 * Takes `n` slots of the window at once, or none: one statement (an upsert whose update applies
 * only while the count plus `n` stays within the limit), so parallel requests on any number of
 * instances never take more than the limit between them. Run inside the transaction of what the
 * slots pay for, a rollback gives them back.
 */
export async function reserveSlots(
  db: Db,
  key: string,
  window: Window,
  n: number,
  now: number,
): Promise<ReserveResult> {
  const start = windowStart(now, window.size);
  const retryAfterSeconds = stateOf(window.limit, window, now).retryAfterSeconds;
  if (n > window.limit) return { reserved: false, retryAfterSeconds };
  if (n <= 0) return { reserved: true, reservation: { key, windowStart: start, count: 0 } };
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: start, count: n })
    .onConflict((oc) =>
      oc
        .columns(['key', 'window_start'])
        .doUpdateSet({ count: sql`rate_limits.count + ${n}` })
        .where(sql<boolean>`rate_limits.count + ${n} <= ${window.limit}`),
    )
    .returning('count')
    .executeTakeFirst();
  if (row) return { reserved: true, reservation: { key, windowStart: start, count: row.count } };
  return { reserved: false, retryAfterSeconds };
}

const giveSlotBack = prepared((db: Db, key: string, start: number) =>
  db
    .updateTable('rate_limits')
    .set({ count: sql`count - 1` })
    .where('key', '=', key)
    .where('window_start', '=', start)
    .where('count', '>', 0),
);

/** Gives a reserved slot back (the attempt succeeded, or was never evaluated). */
export async function releaseAttempt(db: Db, reservation: Reservation): Promise<void> {
  await giveSlotBack(db, reservation.key, reservation.windowStart);
}

/**
 * Counts an attempt refused because `key`'s window is full, and tells whether it is the first
 * refusal of that window: the primary key (marker key, window start) makes exactly one request
 * see 1, however many arrive at once on however many instances. That one writes the "limit
 * reached" audit entry; the others are only counted (here and in /metrics).
 */
export async function recordRefusal(db: Db, key: string, window: Window, now: number): Promise<{ first: boolean }> {
  const refused = await recordFailure(db, `refused:${key}`, window, now);
  return { first: refused.count === 1 };
}

/**
 * The answer to an attempt refused by a full window: counted in /metrics (every refusal, by
 * kind), audited once per key and window (`action`, with the address), and a 429 to throw.
 */
export async function refuseOverLimit(
  db: Db,
  refusal: {
    key: string;
    window: Window;
    now: number;
    kind: string;
    action: AuditAction;
    ip: string | null;
    retryAfterSeconds: number;
  },
): Promise<AppError> {
  countRateLimited({ kind: refusal.kind });
  const { first } = await recordRefusal(db, refusal.key, refusal.window, refusal.now);
  if (first) {
    await recordAuditEvent(db, {
      action: refusal.action,
      actor: { kind: 'anonymous', id: null, label: 'anonymous', ip: refusal.ip },
      details: { reason: refusal.kind, retryAfterSeconds: refusal.retryAfterSeconds },
      at: refusal.now,
    });
  }
  return new AppError('rate_limited', { retryAfterSeconds: refusal.retryAfterSeconds });
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
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
