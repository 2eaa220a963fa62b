// The access-code rules of SPEC §2 and the redemption of §3. Lifecycle:
//
// ```mermaid
// stateDiagram-v2
//   [*] --> active: issue (replaces the open code, R3)
//   active --> used: redeem (conditional update, R5)
//   active --> deactivated: admin deactivates (R6) or person deactivated
//   active --> replaced: a new code is issued (R3)
//   active --> expired: 90 days (or the shorter lifetime) pass (R4)
// ```
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { uniqueViolationColumn } from '../db/database.js';
import type { AccessCodesTable, PeopleTable, PersonRow } from '../db/schema.js';
import { AppError } from '../errors.js';
import { describeProblem, type FieldProblem } from '../problems.js';
import { recordAuditEvent, SYSTEM_ACTOR, type Actor } from '../audit/audit.js';
import { DAY, HOUR, MINUTE } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import type { Key } from '../lib/keyring.js';
import {
  countCodeFailure,
  countCodeFailureSpike,
  countCodesIssued,
  countRateLimited,
  countRedemption,
} from '../lib/metrics.js';
import { normaliseUsername, usernameCandidates } from '../people/person.js';
import { findPersonById, findPersonByUsername, lockPerson, setRedeemedCredentials } from '../people/people.store.js';
import {
  addressGroupOf,
  reserveSlots,
  refuseOverLimit,
  reserveAttempt,
  secondsLeftIn,
  windowStartOf,
  type Window,
} from '../rate-limits/rate-limits.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { deleteSession } from '../sessions/sessions.store.js';
import { createSession, type NewSession, type SessionMeta } from '../sessions/session.js';
import { checkPassword, HashQueueFullError, hashPassword, passwordFieldProblem } from '../sign-in/password.js';
import {
  accessCodeHashCandidates,
  formatAccessCode,
  generateAccessCode,
  hashAccessCode,
  MAX_LIFETIME_DAYS,
  normaliseAccessCode,
} from './access-code.js';
import type { DrawnCode } from './code-runs.js';
import {
  type CodeHolder,
  type CountedCodeFailure,
  consumeAccessCode,
  recordCodeFailure,
  deactivateOpenAccessCode,
  findAccessCodeForAttempt,
  findLatestAccessCode,
  insertAccessCode,
  replaceOpenAccessCodes,
  setPersonCodeState,
} from './access-codes.store.js';

/** Username availability checks one address may make per rate window, per allowed code failure. */
export const USERNAME_CHECKS_PER_FAILURE = 3;

/** Failed code attempts across all clients in one minute above which a spike is reported. */
const FAILURE_SPIKE_PER_MINUTE = 200;

/**
 * Failed code attempts audited one by one per minute, across all clients. Past it, within that
 * minute, each failure is only counted in its address's tally for the rate window
 * (audit_tallies), and one entry says so: a flood from many addresses then grows the database
 * by one small row per address and window instead of an audit entry per attempt.
 */
export const AUDITED_FAILURES_PER_MINUTE = 100;

/** The longest lifetime a new code may have: the org's default for its kind, never over 90 days. */
export function maxLifetimeMs(deps: Pick<Deps, 'config'>, person: Pick<PeopleTable, 'status'>): number {
  const days = person.status === 'unclaimed' ? deps.config.codeDaysClaim : deps.config.codeDaysRecovery;
  return Math.min(days, MAX_LIFETIME_DAYS) * DAY;
}

/** The lifetime asked for (in hours), checked against the maximum; the maximum when none is asked. */
export function lifetimeFor(
  deps: Pick<Deps, 'config'>,
  person: Pick<PeopleTable, 'status'>,
  lifetimeHours: number | undefined,
): number {
  const max = maxLifetimeMs(deps, person);
  if (lifetimeHours === undefined) return max;
  if (!Number.isInteger(lifetimeHours) || lifetimeHours < 1 || lifetimeHours * HOUR > max) {
    throw new AppError('validation_failed', {
      message: `lifetimeHours must be a whole number from 1 to ${max / HOUR}.`,
      fields: [{ field: 'lifetimeHours', code: 'lifetime_out_of_range', params: { max: max / HOUR } }],
    });
  }
  return lifetimeHours * HOUR;
}

export interface IssuedAccessCode {
  /** The code, grouped for reading (`BCDF-GHJK-LMNP-QRST`). Shown once; never stored. */
  code: string;
  expiresAt: number;
  person: { id: string; username: string | null; name: string };
}

/** A new code with its hash under `key` (the newest key of the ring). */
function drawnHere(key: Pick<Key, 'hmac' | 'id'>): DrawnCode {
  const code = generateAccessCode();
  return { code, hash: hashAccessCode(key, code), keyId: key.id };
}

/**
 * Builds a new code row for a person (not yet written). Exposed for bulk issue, which writes
 * many rows at once; the single issue below uses it too so both make codes the same way.
 */
export function newAccessCodeRow(
  deps: Pick<Deps, 'keyring'>,
  person: Pick<PeopleTable, 'id' | 'status'>,
  options: {
    now: number;
    lifetimeMs: number;
    issuedBy: string | null;
    batchId: string | null;
    codeEncrypted?: (code: string) => string;
    /** The code, drawn beforehand with its hash (a bulk issue's, in hash order). */
    drawn?: DrawnCode;
  },
): { row: AccessCodesTable; code: string } {
  // A code, its hash and its key always come together: the bulk issue's, or one drawn here.
  const { code, hash, keyId } = options.drawn ?? drawnHere(deps.keyring.current);
  return {
    code,
    row: {
      id: newId(options.now),
      person_id: person.id,
      code_hash: hash,
      key_id: keyId,
      kind: person.status === 'unclaimed' ? 'claim' : 'recovery',
      created_at: options.now,
      expires_at: options.now + options.lifetimeMs,
      used_at: null,
      deactivated_at: null,
      replaced_at: null,
      issued_by: options.issuedBy,
      batch_id: options.batchId,
      code_encrypted: options.codeEncrypted ? options.codeEncrypted(code) : null,
    },
  };
}

/** A manager's hourly allowance of codes (KEYSLIP_MANAGER_CODES_PER_HOUR), across instances. */
export interface CodeQuota {
  managerId: string;
  perHour: number;
}

/**
 * Takes `n` codes of the manager's hour inside the issuing transaction (a rollback gives them
 * back), or refuses them all: a bulk that would go over is refused whole.
 */
export async function takeCodeQuota(trx: Db, quota: CodeQuota, n: number, now: number): Promise<void> {
  const window: Window = { size: HOUR, limit: quota.perHour };
  const slots = await reserveSlots(trx, `manager-codes:${quota.managerId}`, window, n, now);
  if (slots.reserved) return;
  throw new AppError('manager_code_limit', {
    message:
      `A manager may get ${quota.perHour} access codes an hour; ` +
      `this would go over (${n} asked for). Try again later, or ask an admin.`,
    retryAfterSeconds: slots.retryAfterSeconds,
  });
}

/** Admins who have claimed their account and are not deactivated: two or more turn the two-person rule on. */
export async function countActiveAdmins(db: Db): Promise<number> {
  const row = await db
    .selectFrom('people')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * R2 + R3 + R4: one transaction replaces the open code, writes the new one and the audit entry.
 * A code for an admin account is refused while two or more active admins exist, unless a second
 * admin approved it (the two-person rule, admin-code-requests.ts).
 */
export async function issueAccessCode(
  deps: Deps,
  options: {
    personId: string;
    actor: Actor;
    lifetimeHours?: number;
    areaId?: string | null;
    quota?: CodeQuota;
    approvedRequestId?: string;
  },
): Promise<IssuedAccessCode> {
  const now = deps.clock.now();
  const issued = await deps.db.transaction().execute(async (trx) => {
    const person = await lockPerson(trx, options.personId);
    if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
    if (person.role === 'admin' && !options.approvedRequestId && (await countActiveAdmins(trx)) >= 2) {
      throw new AppError('admin_code_needs_approval');
    }
    if (options.quota) await takeCodeQuota(trx, options.quota, 1, now);
    return issueAccessCodeIn(trx, deps, person, { ...options, now });
  });
  countCodesIssued({}, 1);
  return issued;
}

/**
 * The writes of an issue in the caller's transaction, for a person it has locked (or just
 * created): the first admin is created and given a code in one transaction. The caller counts
 * the code in the metrics once that transaction has committed.
 */
export async function issueAccessCodeIn(
  trx: Db,
  deps: Pick<Deps, 'config' | 'keyring'>,
  person: PeopleTable,
  options: { actor: Actor; lifetimeHours?: number; now: number; areaId?: string | null; approvedRequestId?: string },
): Promise<IssuedAccessCode> {
  const now = options.now;
  if (person.status === 'deactivated') throw new AppError('person_deactivated');
  const lifetimeMs = lifetimeFor(deps, person, options.lifetimeHours);
  const replaced = await replaceOpenAccessCodes(trx, [person.id], now);
  const issuedBy = options.actor.id ?? options.actor.label;
  const { row, code } = newAccessCodeRow(deps, person, { now, lifetimeMs, issuedBy, batchId: null });
  await insertAccessCode(trx, row);
  await setPersonCodeState(trx, [person.id], 'active', row.expires_at);
  await recordAuditEvent(trx, {
    action: 'access_code.issued',
    actor: options.actor,
    personId: person.id,
    areaId: options.areaId ?? null,
    details: {
      codeId: row.id,
      kind: row.kind,
      expiresAt: new Date(row.expires_at).toISOString(),
      replaced,
      ...(options.approvedRequestId ? { requestId: options.approvedRequestId } : {}),
    },
    at: now,
  });
  return {
    code: formatAccessCode(code),
    expiresAt: row.expires_at,
    person: { id: person.id, username: person.username, name: person.name },
  };
}

/** R6: deactivates a person's unused code; null when they have none. */
export async function deactivateAccessCode(
  deps: Deps,
  options: { personId: string; actor: Actor; areaId?: string | null },
): Promise<'deactivated' | null> {
  const now = deps.clock.now();
  return deps.db.transaction().execute((trx) => deactivateAccessCodeIn(trx, { ...options, now }));
}

/** R6 in the caller's transaction: the person locked, their open code closed, the audit entry. */
export async function deactivateAccessCodeIn(
  trx: Db,
  options: { personId: string; actor: Actor; now: number; areaId?: string | null },
): Promise<'deactivated' | null> {
  const { actor, now } = options;
  const person = await lockPerson(trx, options.personId);
  if (!person) throw new AppError('not_found', { message: 'No person with that id.' });
  const count = await deactivateOpenAccessCode(trx, person.id, now);
  if (count === 0) return null;
  await setPersonCodeState(trx, [person.id], 'deactivated', null);
  await recordAuditEvent(trx, {
    action: 'access_code.deactivated',
    actor,
    personId: person.id,
    areaId: options.areaId ?? null,
    details: {},
    at: now,
  });
  return 'deactivated';
}

export type AccessCodeStateName = 'none' | 'active' | 'used' | 'deactivated' | 'replaced' | 'expired';

export function accessCodeStateOf(code: AccessCodesTable | null, now: number): AccessCodeStateName {
  if (!code) return 'none';
  if (code.used_at !== null) return 'used';
  if (code.deactivated_at !== null) return 'deactivated';
  if (code.replaced_at !== null) return 'replaced';
  if (code.expires_at <= now) return 'expired';
  return 'active';
}

export interface AccessCodeStatus {
  state: AccessCodeStateName;
  kind: 'claim' | 'recovery' | null;
  createdAt: string | null;
  expiresAt: string | null;
  usedAt: string | null;
  deactivatedAt: string | null;
}

/** The state of a person's latest code: never the code itself, which is not stored. */
export async function getAccessCodeStatus(deps: Deps, personId: string): Promise<AccessCodeStatus | null> {
  if (!(await findPersonById(deps.db, personId))) return null;
  const code = await findLatestAccessCode(deps.db, personId);
  const iso = (ms: number | null | undefined): string | null =>
    ms === null || ms === undefined ? null : new Date(ms).toISOString();
  return {
    state: accessCodeStateOf(code, deps.clock.now()),
    kind: code?.kind ?? null,
    createdAt: iso(code?.created_at),
    expiresAt: iso(code?.expires_at),
    usedAt: iso(code?.used_at),
    deactivatedAt: iso(code?.deactivated_at),
  };
}

// ---------------------------------------------------------------------------------------------
// Redemption (SPEC §3)

type Found =
  | { ok: true; code: AccessCodesTable; person: CodeHolder }
  | { ok: false; reason: string; personId: string | null };

function codeWindow(deps: Deps): Window {
  return { size: deps.config.rateWindowMinutes * MINUTE, limit: deps.config.rateCodeFailures };
}

function codeKey(client: SessionMeta): string {
  return `code:${addressGroupOf(client.ip)}`;
}

/**
 * The address's failure limit (SPEC §3) for an attempt with a code, in one read and no write
 * when the code is usable:
 *
 * - The code, its person and the address's failures so far are read in one statement.
 * - A code that cannot be used is a failure: it must take a slot of the window (reserveAttempt:
 *   increment and compare in one statement) before it is answered, so of any burst, on any number
 *   of instances, at most the limit get the failure answer; the rest get 429.
 * - A usable code takes no slot (the limit counts failures), so all it needs is the count: while
 *   the window is full even a right code is refused. Comparing a count that was read is enough
 *   here because this attempt adds nothing to it: reading the latest committed count is the same
 *   as an increment by zero, and a failure that commits just after the read would have been
 *   ordered after this attempt anyway. (Reserving a slot and giving it back, as before, cost two
 *   writes per right code.)
 *
 * The code is looked up before the window is known to have room; what the lookup found is only
 * told once the attempt is admitted.
 */
async function findUsableCode(deps: Deps, client: SessionMeta, normalised: string, now: number): Promise<Found> {
  const window = codeWindow(deps);
  const found = await findAccessCodeForAttempt(deps.db, accessCodeHashCandidates(deps.keyring, normalised), {
    key: codeKey(client),
    windowStart: windowStartOf(now, window.size),
  });
  if (!found) return { ok: false, reason: 'unknown', personId: null };
  const state = accessCodeStateOf(found.code, now);
  if (state !== 'active') return { ok: false, reason: state, personId: found.code.person_id };
  if (!found.holder || found.holder.status === 'deactivated')
    return { ok: false, reason: 'person_deactivated', personId: found.code.person_id };
  if (found.failures >= window.limit) throw await refuseCodeAttempt(deps, client, now);
  return { ok: true, code: found.code, person: found.holder };
}

/** The answer to a code attempt while the address's window is full: 429, counted and audited once. */
function refuseCodeAttempt(deps: Deps, client: SessionMeta, now: number): Promise<AppError> {
  const window = codeWindow(deps);
  return refuseOverLimit(deps.db, {
    key: codeKey(client),
    window,
    now,
    kind: 'access_code',
    action: 'access_code.rate_limited',
    ip: client.ip,
    retryAfterSeconds: secondsLeftIn(window, now),
  });
}

/**
 * Usernames one address may ask about (the availability check, and redemption with a chosen
 * username, which answers "taken" just as well): a person types a handful of names, not
 * hundreds, so holding one claim code does not make either a way to list the directory.
 */
async function countUsernameProbe(deps: Deps, client: SessionMeta, now: number): Promise<void> {
  const key = `username-check:${addressGroupOf(client.ip)}`;
  const limit = deps.config.rateCodeFailures * USERNAME_CHECKS_PER_FAILURE;
  const window: Window = { size: codeWindow(deps).size, limit };
  const slot = await reserveAttempt(deps.db, key, window, now);
  if (slot.reserved) return;
  throw await refuseOverLimit(deps.db, {
    key,
    window,
    now,
    kind: 'username_check',
    action: 'access_code.rate_limited',
    ip: client.ip,
    retryAfterSeconds: slot.retryAfterSeconds,
  });
}

/**
 * A failed attempt with a code: it takes a slot of the address's window (429 when none is left:
 * then it is not evaluated, only counted and audited once per window), is counted globally,
 * audited (with the reason, never the code) or, past the minute's audited allowance, tallied
 * (recordCodeFailure), and gets the one uniform error.
 */
async function failAttempt(
  deps: Deps,
  client: SessionMeta,
  reason: string,
  personId: string | null,
  now: number,
): Promise<never> {
  // The failure's audit entry is written with its counts (on SQLite in the same commit).
  const audit = async (db: Db, failure: CountedCodeFailure): Promise<void> => {
    if (failure.thisMinute <= AUDITED_FAILURES_PER_MINUTE) {
      await recordAuditEvent(db, {
        action: 'access_code.failed',
        actor: { kind: 'anonymous', id: null, label: 'anonymous', ip: client.ip },
        personId,
        details: { reason, failuresInWindow: failure.inWindow },
        at: now,
      });
    } else if (failure.thisMinute === AUDITED_FAILURES_PER_MINUTE + 1) {
      await recordAuditEvent(db, {
        action: 'access_code.failures_tallied',
        actor: SYSTEM_ACTOR,
        details: { auditedPerMinute: AUDITED_FAILURES_PER_MINUTE },
        at: now,
      });
    }
  };
  const failure = await recordCodeFailure(
    deps.db,
    { key: codeKey(client), window: codeWindow(deps), address: addressGroupOf(client.ip), now },
    {
      key: 'code:*',
      window: { size: MINUTE, limit: FAILURE_SPIKE_PER_MINUTE },
      auditedPerMinute: AUDITED_FAILURES_PER_MINUTE,
    },
    audit,
  );
  if (failure === null) throw await refuseCodeAttempt(deps, client, now);
  countCodeFailure();
  if (failure.thisMinute === FAILURE_SPIKE_PER_MINUTE + 1) {
    countCodeFailureSpike();
    deps.log.warn(
      { failuresThisMinute: failure.thisMinute },
      'spike of failed access-code attempts across all clients',
    );
  }
  throw new AppError('code_unusable');
}

/** How many inputs that cannot be a code one address may send per window, per allowed failure. */
export const MALFORMED_PER_FAILURE = 5;

/**
 * Input that can never be a code (wrong length, a vowel, a digit) is no guess at any code: it
 * is refused with its own answer (code_malformed) before the address's failure limit is
 * touched, so a shop of clumsy typists does not lock each other out. It is counted in a window
 * of its own, generous but bounded (the audit log must not be flooded), and audited.
 */
async function refuseMalformed(deps: Deps, client: SessionMeta, now: number): Promise<never> {
  const key = `code-malformed:${addressGroupOf(client.ip)}`;
  const window: Window = { size: codeWindow(deps).size, limit: deps.config.rateCodeFailures * MALFORMED_PER_FAILURE };
  const slot = await reserveAttempt(deps.db, key, window, now);
  if (!slot.reserved) {
    throw await refuseOverLimit(deps.db, {
      key,
      window,
      now,
      kind: 'access_code_malformed',
      action: 'access_code.rate_limited',
      ip: client.ip,
      retryAfterSeconds: slot.retryAfterSeconds,
    });
  }
  countCodeFailure();
  await recordAuditEvent(deps.db, {
    action: 'access_code.failed',
    actor: { kind: 'anonymous', id: null, label: 'anonymous', ip: client.ip },
    personId: null,
    details: { reason: 'malformed', malformedInWindow: slot.reservation.count },
    at: now,
  });
  throw new AppError('code_malformed');
}

/** The code's canonical form; input that cannot be a code is refused without a failure counted. */
async function wellFormedCode(deps: Deps, client: SessionMeta, input: string, now: number): Promise<string> {
  const normalised = normaliseAccessCode(input);
  if (normalised === null) return refuseMalformed(deps, client, now);
  return normalised;
}

/** A usable code for this attempt, or the failure (or 429) thrown. */
async function usableCode(
  deps: Deps,
  client: SessionMeta,
  input: string,
  now: number,
): Promise<{ code: AccessCodesTable; person: CodeHolder }> {
  const normalised = await wellFormedCode(deps, client, input, now);
  const found = await findUsableCode(deps, client, normalised, now);
  if (!found.ok) return failAttempt(deps, client, found.reason, found.personId, now);
  return found;
}

export interface CheckedAccessCode {
  /** The username to confirm; null when the person must choose one. */
  username: string | null;
  claim: boolean;
  /** The person's name: the holder of a valid code may see whose account it opens. */
  name: string;
  /** Free usernames made from the name, best first, when the person must choose one. */
  suggestions: string[];
}

/** How many free usernames are offered at a time. */
const SUGGESTIONS = 3;

/**
 * The candidates (usernameCandidates) that are free, best first, at most SUGGESTIONS: made from
 * the person's own name (or what they typed), inside a flow a valid code opened, a few at a time.
 */
async function freeUsernames(deps: Deps, person: CodeHolder, typed?: string): Promise<string[]> {
  const candidates = usernameCandidates(person, typed);
  if (candidates.length === 0) return [];
  const taken = new Set(
    (await deps.db.selectFrom('people').select('username').where('username', 'in', candidates).execute()).map(
      (row) => row.username,
    ),
  );
  return candidates.filter((candidate) => !taken.has(candidate)).slice(0, SUGGESTIONS);
}

/**
 * `suggest: false` leaves the suggestions out (an empty list): the API's answer has no field for
 * them, and finding them is a read of the directory, as costly as the check itself.
 */
export async function checkAccessCode(
  deps: Deps,
  input: { code: string; client: SessionMeta; suggest?: boolean },
): Promise<CheckedAccessCode> {
  const now = deps.clock.now();
  const { person } = await usableCode(deps, input.client, input.code, now);
  const suggest = (input.suggest ?? true) && person.username === null;
  return {
    username: person.username,
    claim: person.status === 'unclaimed',
    name: person.name,
    suggestions: suggest ? await freeUsernames(deps, person) : [],
  };
}

/**
 * Whether a username is free, answered only inside a flow opened by a valid code that belongs
 * to a person without a username, so it cannot be used to list usernames.
 */
export async function checkUsernameAvailable(
  deps: Deps,
  input: { code: string; username: string; client: SessionMeta },
): Promise<{ available: boolean; valid: boolean; suggestions: string[] }> {
  const now = deps.clock.now();
  const found = await usableCode(deps, input.client, input.code, now);
  if (found.person.username !== null)
    throw new AppError('forbidden', { message: 'This account already has a username.' });
  await countUsernameProbe(deps, input.client, now);
  const username = normaliseUsername(input.username);
  // Taken or not a username: free ones to tap instead, made from the name and what was typed.
  if (username === null)
    return { available: false, valid: false, suggestions: await freeUsernames(deps, found.person, input.username) };
  if ((await findPersonByUsername(deps.db, username)) === null)
    return { available: true, valid: true, suggestions: [] };
  return { available: false, valid: true, suggestions: await freeUsernames(deps, found.person, username) };
}

export interface Redeemed {
  person: PersonRow;
  session: NewSession;
  claimed: boolean;
}

/**
 * SPEC §3 step 3, in one transaction: the code is consumed (a conditional update: of concurrent
 * redemptions exactly one wins), the password set, the account active, every other session
 * ended, a new session started, the audit entry written. Any failure rolls all of it back, so a
 * claim that loses the race for a username keeps its code.
 */
/** Ids of the codes being redeemed on this instance. */
const redemptionsInProgress = new Set<string>();

export async function redeemAccessCode(
  deps: Deps,
  input: { code: string; username: string; password: string; client: SessionMeta; currentSessionHash?: string | null },
): Promise<Redeemed> {
  const now = deps.clock.now();
  const found = await usableCode(deps, input.client, input.code, now);
  // One redemption of a code at a time on this instance: of parallel redemptions of one code only
  // one can win, and the others would each queue an Argon2 hash (a burst of them filled the
  // bounded queue). They lose at once, as they would have lost the conditional update.
  if (redemptionsInProgress.has(found.code.id)) {
    return failAttempt(deps, input.client, 'used_concurrently', found.person.id, now);
  }
  redemptionsInProgress.add(found.code.id);
  let result: Redeemed | null;
  try {
    // The code was right: a weak password, a taken username or a busy server thrown from here is
    // no guess, and no failure is counted for it.
    result = await redeemUsableCode(deps, input, found.person, found.code, now);
  } finally {
    redemptionsInProgress.delete(found.code.id);
  }
  if (result === null) return failAttempt(deps, input.client, 'used_concurrently', found.person.id, now);
  countRedemption();
  return result;
}

/** The redemption of a code found usable; null when a concurrent redemption consumed it first. */
async function redeemUsableCode(
  deps: Deps,
  input: { username: string; password: string; client: SessionMeta; currentSessionHash?: string | null },
  person: CodeHolder,
  code: AccessCodesTable,
  now: number,
): Promise<Redeemed | null> {
  const username = normaliseUsername(input.username ?? '');
  if (person.username !== null) {
    if (username !== person.username) throw usernameMismatch();
  } else if (username === null) {
    const rule: FieldProblem = { field: 'username', code: 'username_rule' };
    throw new AppError('validation_failed', { message: describeProblem('en', rule), fields: [rule] });
  }
  const problem = checkPassword(input.password, { username });
  if (problem) {
    const field = passwordFieldProblem(problem);
    throw new AppError('weak_password', { message: describeProblem('en', field), fields: [field] });
  }
  // A chosen username answers "taken" or not, like the availability check: the same limit.
  if (person.username === null) await countUsernameProbe(deps, input.client, now);
  // Argon2id runs on the thread pool, before the transaction, so no write lock waits on it.
  let passwordHash: string;
  try {
    passwordHash = await hashPassword(input.password);
  } catch (error) {
    if (!(error instanceof HashQueueFullError)) throw error;
    countRateLimited({ kind: 'password_hashing' });
    throw new AppError('busy', { retryAfterSeconds: 1 });
  }

  try {
    return await deps.db.transaction().execute(async (trx) => {
      // Person before code, the lock order of every code write (issue, bulk issue, deactivation):
      // taking the code first would deadlock with a concurrent re-issue on PostgreSQL.
      const current = await lockPerson(trx, person.id);
      if (!current) return null;
      // An admin who set or changed the username since the code was checked wins: the
      // redemption never overwrites it (rolled back, so the code stays usable).
      if (current.username !== null && current.username !== username) throw usernameMismatch();
      if (!(await consumeAccessCode(trx, code.id, now))) return null;
      const claimed = current.status === 'unclaimed';
      await setRedeemedCredentials(trx, current, { username, passwordHash, now });
      await setPersonCodeState(trx, [person.id], 'used', null);
      // A recovery ends everything the old password opened, the apps' sessions included (SPEC §8).
      const ended = (await endEverythingOf(trx, person.id, now)).sessions;
      // The session the browser came with (perhaps someone else's, on a shared device) ends too.
      if (input.currentSessionHash) await deleteSession(trx, input.currentSessionHash);
      const session = await createSession(trx, deps.config, person.id, now, input.client);
      const actor: Actor = { kind: 'person', id: person.id, label: username ?? person.name, ip: input.client.ip };
      await recordAuditEvent(trx, {
        action: 'access_code.redeemed',
        actor,
        personId: person.id,
        details: { codeId: code.id, kind: code.kind, sessionsEnded: ended },
        at: now,
      });
      if (claimed)
        await recordAuditEvent(trx, {
          action: 'person.claimed',
          actor,
          personId: person.id,
          // Whether the person chose it now: "start over" clears only a username chosen at a claim.
          details: { username, usernameChosen: current.username === null },
          at: now,
        });
      const updated = await findPersonById(trx, person.id);
      if (!updated) throw new Error('the person redeeming a code vanished inside the transaction');
      return { person: updated, session, claimed };
    });
  } catch (error) {
    if (uniqueViolationColumn(error) === 'username')
      throw new AppError('username_taken', { fields: [{ field: 'username', code: 'username_taken' }] });
    throw error;
  }
}

function usernameMismatch(): AppError {
  return new AppError('username_mismatch', { fields: [{ field: 'username', code: 'username_mismatch' }] });
}
