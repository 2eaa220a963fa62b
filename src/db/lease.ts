// A lease: one instance at a time runs a background job (the retention sweep), on both
// databases alike. A row per job names the holder and until when it holds; taking it is one
// upsert that succeeds only when the row is free, expired or already ours, so two instances
// asking at once cannot both get it. An instance that dies simply lets its lease run out.
import { sql } from 'kysely';
import type { Db } from './database.js';

/** Takes (or renews) the lease `name` for `holder` until `now + ttlMs`; true when it is ours. */
export async function takeLease(db: Db, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
  const row = await db
    .insertInto('leases')
    .values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: now + ttlMs })
        .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', holder)])),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Gives the lease back (only if still ours), so the next run need not wait for it to expire. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

/** Who holds the lease now, if anyone (for tests and `keyslip doctor`). */
export async function leaseHolder(db: Db, name: string, now: number): Promise<string | null> {
  const row = await db
    .selectFrom('leases')
    .select('holder')
    .where('name', '=', name)
    .where(sql<boolean>`expires_at > ${now}`)
    .executeTakeFirst();
  return row?.holder ?? null;
}
