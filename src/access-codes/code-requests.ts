// "Ask for a new code" (SPEC §4): a worker who cannot sign in gives their username, email or
// employee id; the request reaches the managers of their areas (read from area_members and
// area_managers) or, when their areas have no active manager, the admins, on People. The answer
// is the same whether or not the account exists, and a request changes nothing by itself: only
// a person who may issue codes acts on it. It stays open until a code is issued after it.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { recordAuditEvent } from '../audit/audit.js';
import { DAY, HOUR } from '../lib/clock.js';
import type { PeopleTable, PersonRole } from '../db/schema.js';
import { normaliseUsername } from '../people/person.js';
import { addressGroupOf, refuseOverLimit, reserveAttempt } from '../rate-limits/rate-limits.js';
import type { SessionMeta } from '../sessions/session.js';
import { findPersonByLogin } from '../sign-in/sign-in.service.js';

/** Requests one client address may send per hour: a shop's workers, not a directory's. */
export const CODE_REQUESTS_PER_ADDRESS_HOUR = 20;
/** Requests that count for one account per day; more are answered the same and change nothing. */
export const CODE_REQUESTS_PER_ACCOUNT_DAY = 3;
/** A request nobody acted on for this long is no longer shown. */
export const CODE_REQUEST_DAYS_OPEN = 14;

/** The person a worker means by what they typed: username, email or employee id; null when none. */
async function findRequester(deps: Deps, login: string): Promise<PeopleTable | null> {
  const typed = login.trim().slice(0, 300);
  if (typed === '') return null;
  const byLogin =
    normaliseUsername(typed) !== null || typed.includes('@') ? await findPersonByLogin(deps, typed) : null;
  if (byLogin) return byLogin;
  const byEmployeeId = await deps.db
    .selectFrom('people')
    .selectAll()
    .where('employee_id', '=', typed)
    .executeTakeFirst();
  return byEmployeeId ?? null;
}

/**
 * Records a request for a new code. Resolves the same way (nothing returned) whether or not the
 * account exists, is deactivated, or has asked too often; only the per-address limit answers
 * differently (429), and it counts every request alike.
 */
export async function requestAccessCode(deps: Deps, input: { login: string; client: SessionMeta }): Promise<void> {
  const now = deps.clock.now();
  const key = `code-request:${addressGroupOf(input.client.ip)}`;
  const window = { size: HOUR, limit: CODE_REQUESTS_PER_ADDRESS_HOUR };
  const slot = await reserveAttempt(deps.db, key, window, now);
  if (!slot.reserved) {
    throw await refuseOverLimit(deps.db, {
      key,
      window,
      now,
      kind: 'code_request',
      action: 'access_code.rate_limited',
      ip: input.client.ip,
      retryAfterSeconds: slot.retryAfterSeconds,
    });
  }
  const actor = { kind: 'anonymous', id: null, label: 'anonymous', ip: input.client.ip } as const;
  const person = await findRequester(deps, input.login);
  if (!person || person.status === 'deactivated') {
    // Audited for admins (never what was typed: it may be a mistyped password), answered alike.
    await recordAuditEvent(deps.db, {
      action: 'access_code.requested',
      actor,
      details: { found: false },
      at: now,
    });
    return;
  }
  const perAccount = await reserveAttempt(
    deps.db,
    `code-request-person:${person.id}`,
    { size: DAY, limit: CODE_REQUESTS_PER_ACCOUNT_DAY },
    now,
  );
  if (!perAccount.reserved) return;
  await deps.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('code_requests')
      .selectAll()
      .where('person_id', '=', person.id)
      .executeTakeFirst();
    const open = existing !== undefined && (await isOpen(trx, person.id, existing.requested_at, now));
    const times = open ? existing.times + 1 : 1;
    await trx
      .insertInto('code_requests')
      .values({ person_id: person.id, requested_at: now, first_requested_at: now, times })
      .onConflict((oc) =>
        oc.column('person_id').doUpdateSet({
          requested_at: now,
          times,
          ...(open ? {} : { first_requested_at: now }),
        }),
      )
      .execute();
    await recordAuditEvent(trx, {
      action: 'access_code.requested',
      actor,
      personId: person.id,
      details: { found: true, times },
      at: now,
    });
  });
}

/** Open: recent, and no code issued for the person since. */
async function isOpen(db: Db, personId: string, requestedAt: number, now: number): Promise<boolean> {
  if (requestedAt <= now - CODE_REQUEST_DAYS_OPEN * DAY) return false;
  const issued = await db
    .selectFrom('access_codes')
    .select('id')
    .where('person_id', '=', personId)
    .where('created_at', '>=', requestedAt)
    .executeTakeFirst();
  return issued === undefined;
}

export interface OpenCodeRequest {
  personId: string;
  name: string;
  employeeId: string | null;
  department: string | null;
  location: string | null;
  requestedAt: number;
  times: number;
}

/**
 * The open requests a viewer should act on, newest first (at most `limit`), and how many there
 * are: a manager sees those of the members of the areas they manage; an admin those of people
 * whose areas have no active manager (everyone else's manager sees theirs); a member none.
 */
export async function listOpenCodeRequests(
  deps: Pick<Deps, 'db' | 'clock'>,
  viewer: { id: string; role: PersonRole },
  options: { limit: number },
): Promise<{ items: OpenCodeRequest[]; total: number }> {
  if (viewer.role === 'member') return { items: [], total: 0 };
  const now = deps.clock.now();
  let query = deps.db
    .selectFrom('code_requests as cr')
    .innerJoin('people as p', 'p.id', 'cr.person_id')
    .where('p.status', '!=', 'deactivated')
    .where('cr.requested_at', '>', now - CODE_REQUEST_DAYS_OPEN * DAY)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('access_codes as ac')
            .select('ac.id')
            .whereRef('ac.person_id', '=', 'cr.person_id')
            .whereRef('ac.created_at', '>=', 'cr.requested_at'),
        ),
      ),
    );
  // Someone who can act on it: an active manager (or admin) of one of the person's areas.
  query = query.where(({ not, exists, selectFrom }) => {
    const managers = selectFrom('area_members as am')
      .innerJoin('area_managers as mg', 'mg.area_id', 'am.area_id')
      .innerJoin('people as m', 'm.id', 'mg.person_id')
      .select('am.person_id')
      .whereRef('am.person_id', '=', 'cr.person_id')
      .where('m.status', '=', 'active')
      .where('m.role', 'in', ['manager', 'admin']);
    if (viewer.role === 'manager') return exists(managers.where('mg.person_id', '=', viewer.id));
    return not(exists(managers));
  });
  const [items, count] = await Promise.all([
    query
      .select([
        'p.id as personId',
        'p.name',
        'p.employee_id as employeeId',
        'p.department',
        'p.location',
        'cr.requested_at as requestedAt',
        'cr.times',
      ])
      .orderBy('cr.requested_at', 'desc')
      .limit(options.limit)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: items.map((row) => ({ ...row, requestedAt: Number(row.requestedAt), times: Number(row.times) })),
    total: Number(count.n),
  };
}
