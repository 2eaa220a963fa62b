// Small helpers for the core suites: people, codes, audit rows and forced failures.
import { sql } from 'kysely';
import { expect } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import type { Db } from '../../src/db/database.js';
import type { AuditEventsTable } from '../../src/db/schema.js';
import type { Deps } from '../../src/deps.js';
import { AppError, type ErrorCode } from '../../src/errors.js';
import type { SessionMeta } from '../../src/sessions/session.js';
import type { Person, PersonInput } from '../../src/people/person.js';
import { createPerson } from '../../src/people/people.service.js';
import type { TestContext } from './deps.js';

/** A passphrase that passes the policy for any username used in these tests. */
export const PASSWORD = 'violet kettle marching north';
export const OTHER_PASSWORD = 'copper lantern over the bay';

export function client(ip = '192.0.2.10'): SessionMeta {
  return { ip, userAgent: 'vitest' };
}

export function addPerson(deps: Deps, input: PersonInput): Promise<Person> {
  return createPerson(deps, input, CLI_ACTOR);
}

/** Awaits a promise that must reject with an AppError of `code`, and returns that error. */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected AppError ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

/** Codes that are neither used, deactivated nor replaced (R2 allows one per person). */
export async function openCodeCount(db: Db, personId: string): Promise<number> {
  const row = await db
    .selectFrom('access_codes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('person_id', '=', personId)
    .where('used_at', 'is', null)
    .where('deactivated_at', 'is', null)
    .where('replaced_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function auditRows(
  db: Db,
  filter: { action?: string; personId?: string } = {},
): Promise<AuditEventsTable[]> {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id');
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.personId) query = query.where('person_id', '=', filter.personId);
  return query.execute();
}

export async function sessionCount(db: Db, personId: string): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('person_id', '=', personId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every spelling of a code that must never be found in the audit log or a response. */
export function spellingsOf(code: string): string[] {
  const bare = code.replace(/-/g, '');
  return [code, bare, bare.toLowerCase(), code.toLowerCase(), bare.slice(0, 8), bare.slice(8)];
}

/**
 * Makes the database refuse audit rows of one action until the returned function is called:
 * an action whose audit entry fails must leave no other trace if it is one transaction.
 */
export async function failAuditInserts(context: TestContext, action: string): Promise<() => Promise<void>> {
  const db = context.deps.db;
  if (context.handle.dialect === 'sqlite') {
    await sql
      .raw(
        `create trigger test_fail_audit before insert on audit_events when new.action = '${action}' ` +
          "begin select raise(abort, 'forced failure'); end",
      )
      .execute(db);
    return async () => {
      await sql`drop trigger test_fail_audit`.execute(db);
    };
  }
  await sql
    .raw(
      'create or replace function test_fail_audit() returns trigger language plpgsql as $$ ' +
        "begin if new.action = tg_argv[0] then raise exception 'forced failure'; end if; return new; end $$",
    )
    .execute(db);
  await sql
    .raw(
      'create trigger test_fail_audit before insert on audit_events ' +
        `for each row execute function test_fail_audit('${action}')`,
    )
    .execute(db);
  return async () => {
    await sql`drop trigger test_fail_audit on audit_events`.execute(db);
  };
}
