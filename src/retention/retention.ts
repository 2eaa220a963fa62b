// What Keyslip keeps and for how long (README "Data kept", SECURITY.md): a background sweep
// deletes what has outlived its use, in small batches so a request never waits long behind it,
// on one instance at a time (a lease row), and on SQLite gives the freed pages back to the file
// system (auto_vacuum=INCREMENTAL, set by migration 0008).
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import { releaseLease, takeLease } from '../db/lease.js';
import type { SqliteConnection } from '../db/sqlite-driver.js';
import type { Deps } from '../deps.js';
import { DAY, MINUTE } from '../lib/clock.js';

/** How long each kind of row is kept once it is no longer in use (audit entries: the setting). */
export const KEPT = {
  /** An access code, after it expired (a used, replaced or deactivated one too); each person's latest stays. */
  codeDaysAfterExpiry: 30,
  /** A batch of codes, after its download window closed (its codes' printable copies are erased then). */
  batchDaysAfterDownload: 30,
  /** A back-channel logout notice, after it was delivered or given up. */
  logoutNoticeDays: 7,
  /** A rate-limit counter, after its window started. */
  rateLimitDays: 1,
} as const;

/** Rows deleted per statement: each holds SQLite's write lock for a few milliseconds. */
export const SWEEP_BATCH = 500;
/** Statements per kind of row per run; the rest waits for the next run. */
const MAX_BATCHES = 200;
/** Pages given back per step of SQLite's incremental vacuum. */
const VACUUM_PAGES_PER_STEP = 1_000;

export const SWEEP_LEASE = 'retention-sweep';
const LEASE_MS = 10 * MINUTE;

export interface SweepReport {
  auditEvents: number;
  auditTallies: number;
  accessCodes: number;
  sessions: number;
  rateLimits: number;
  batches: number;
  logoutNotices: number;
  /** SQLite pages given back to the file system (0 on PostgreSQL, where autovacuum does this). */
  pagesFreed: number;
}

interface Target {
  name: Exclude<keyof SweepReport, 'pagesFreed' | 'accessCodes'>;
  table: string;
  key: string[];
  where: RawBuilder<unknown>;
}

function targets(deps: Deps, now: number): Target[] {
  const auditCutoff = now - deps.config.auditRetentionDays * DAY;
  return [
    { name: 'auditEvents', table: 'audit_events', key: ['id'], where: sql`at < ${auditCutoff}` },
    {
      name: 'auditTallies',
      table: 'audit_tallies',
      key: ['action', 'address', 'window_start'],
      where: sql`window_start < ${auditCutoff}`,
    },
    {
      name: 'sessions',
      table: 'sessions',
      key: ['id_hash'],
      where: sql`expires_at <= ${now} or last_seen_at <= ${now - deps.config.sessionIdleMinutes * MINUTE}`,
    },
    {
      name: 'rateLimits',
      table: 'rate_limits',
      key: ['key', 'window_start'],
      where: sql`window_start < ${now - KEPT.rateLimitDays * DAY}`,
    },
    {
      name: 'batches',
      table: 'batches',
      key: ['id'],
      // A batch whose code rows are its per-person record names their issuer: kept with the log.
      where: sql`download_until < ${now - KEPT.batchDaysAfterDownload * DAY} and erased_at is not null
        and (actor_label is null or created_at < ${auditCutoff})`,
    },
    {
      name: 'logoutNotices',
      table: 'oidc_logout_outbox',
      key: ['id'],
      where: sql`created_at < ${now - KEPT.logoutNoticeDays * DAY}
        and (delivered_at is not null or gave_up_at is not null)`,
    },
  ];
}

/** Deletes up to SWEEP_BATCH rows of a target; returns how many. */
async function deleteBatch(db: Db, target: Target): Promise<number> {
  const key = sql.join(target.key.map((column) => sql.ref(column)));
  const table = sql.table(target.table);
  const result = await sql`delete from ${table} where (${key}) in (
      select ${key} from ${table} where ${target.where} limit ${SWEEP_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Expired codes looked at per statement of the code sweep. */
const CODES_PER_STEP = 2_000;

/**
 * Where the code sweep stopped, by (expires_at, id): most expired codes are a person's latest and
 * stay, so each run goes on from the last one instead of reading them all again. Module state:
 * only the instance holding the lease sweeps, and another one simply starts from the beginning.
 */
let codeCursor: { expiresAt: number; id: string } | null = null;

/**
 * Codes 30 days past their expiry that are not their person's latest, walked in (expires_at, id)
 * order a step at a time, so no statement reads more than CODES_PER_STEP rows.
 */
async function sweepCodes(
  db: Db,
  now: number,
  auditCutoff: number,
  stillOurs: () => Promise<boolean>,
): Promise<number> {
  const cutoff = now - KEPT.codeDaysAfterExpiry * DAY;
  let deleted = 0;
  for (let step = 0; step < MAX_BATCHES; step++) {
    const after = codeCursor;
    let query = db
      .selectFrom('access_codes')
      .select(['id', 'expires_at'])
      .where('expires_at', '<', cutoff)
      .orderBy('expires_at')
      .orderBy('id')
      .limit(CODES_PER_STEP);
    if (after)
      query = query.where((eb) =>
        eb.or([
          eb('expires_at', '>', after.expiresAt),
          eb.and([eb('expires_at', '=', after.expiresAt), eb('id', '>', after.id)]),
        ]),
      );
    const seen = await query.execute();
    const last = seen[seen.length - 1];
    if (seen.length > 0) {
      const ids = seen.map((row) => row.id);
      const result = await db
        .deleteFrom('access_codes')
        .where('id', 'in', ids)
        .where(
          sql<boolean>`exists (select 1 from access_codes as newer where newer.person_id = access_codes.person_id
            and (newer.created_at > access_codes.created_at
              or (newer.created_at = access_codes.created_at and newer.id > access_codes.id)))`,
        )
        // A bulk issue's code row is the person's record of it (no audit entry of its own, migration
        // 0011): kept as long as audit entries are.
        .where((eb) =>
          eb.or([
            eb('access_codes.created_at', '<', auditCutoff),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('batches')
                  .select('batches.id')
                  .whereRef('batches.id', '=', 'access_codes.batch_id')
                  .where('batches.actor_label', 'is not', null),
              ),
            ),
          ]),
        )
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    if (!last || seen.length < CODES_PER_STEP) {
      codeCursor = null;
      break;
    }
    codeCursor = { expiresAt: last.expires_at, id: last.id };
    if (!(await stillOurs())) break;
    await pause();
  }
  return deleted;
}

/**
 * SQLite: gives free pages back to the file system, VACUUM_PAGES_PER_STEP at a time. Only with
 * auto_vacuum=INCREMENTAL (migration 0008); a file not in that mode keeps its free pages for
 * reuse, as before. Run on the raw connection: through a prepared statement stepped once (as
 * Kysely runs a statement that returns no rows) the pragma frees a single page.
 */
export async function giveSpaceBack(db: Db, sqlite: SqliteConnection | null): Promise<number> {
  if (dialectOf(db) !== 'sqlite' || !sqlite) return 0;
  if (Number(sqlite.pragma('auto_vacuum', { simple: true })) !== 2) return 0;
  const freeOf = (): number => Number(sqlite.pragma('freelist_count', { simple: true }));
  const before = freeOf();
  let free = before;
  for (let step = 0; free > 0 && step < 10_000; step++) {
    sqlite.exec(`pragma incremental_vacuum(${VACUUM_PAGES_PER_STEP})`);
    const next = freeOf();
    if (next >= free) break;
    free = next;
    await pause();
  }
  return before - free;
}

/**
 * One run of the sweep: every kind of row past its time, in batches. Returns null when another
 * instance holds the lease (it is sweeping). `holder` names this instance; `sqlite` is the raw
 * connection (SQLite), to give the freed pages back.
 */
export async function sweepExpiredData(
  deps: Deps,
  holder: string,
  options: { sqlite?: SqliteConnection | null } = {},
): Promise<SweepReport | null> {
  const { db, clock } = deps;
  if (!(await takeLease(db, SWEEP_LEASE, holder, clock.now(), LEASE_MS))) return null;
  const report: SweepReport = {
    auditEvents: 0,
    auditTallies: 0,
    accessCodes: 0,
    sessions: 0,
    rateLimits: 0,
    batches: 0,
    logoutNotices: 0,
    pagesFreed: 0,
  };
  const stillOurs = (): Promise<boolean> => takeLease(db, SWEEP_LEASE, holder, clock.now(), LEASE_MS);
  try {
    // Each person's latest code stays: the person's page shows it.
    report.accessCodes = await sweepCodes(
      db,
      clock.now(),
      clock.now() - deps.config.auditRetentionDays * DAY,
      stillOurs,
    );
    for (const target of targets(deps, clock.now())) {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const deleted = await deleteBatch(db, target);
        report[target.name] += deleted;
        if (deleted < SWEEP_BATCH) break;
        // Still ours? A run that outlives its lease stops rather than sweep beside another.
        if (!(await stillOurs())) return report;
        await pause();
      }
    }
    report.pagesFreed = await giveSpaceBack(db, options.sqlite ?? null);
    return report;
  } finally {
    await releaseLease(db, SWEEP_LEASE, holder);
  }
}
