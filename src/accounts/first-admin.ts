// Keyslip bootstraps itself with its own mechanism: the first admin is an unclaimed account
// whose access code is printed once, on the first start of an empty database.
import type { Deps } from '../deps.js';
import { uniqueViolationColumn } from '../db/database.js';
import { AppError } from '../errors.js';
import { describeProblems } from '../problems.js';
import { recordAuditEvent, SYSTEM_ACTOR, type Actor } from '../audit/audit.js';
import { countActiveAdmins, issueAccessCodeIn, type IssuedAccessCode } from '../access-codes/access-codes.service.js';
import { countCodesIssued } from '../lib/metrics.js';
import { validatePersonInput } from '../people/person.js';
import { createPersonIn, newPersonRow } from '../people/people.service.js';
import { anyPersonExists } from '../people/people.store.js';

/**
 * An admin's claim code is printed to a console or a terminal, where it may linger in scrollback
 * or a log collector: it lives a day, not the 90 days of a code on a printed slip.
 */
export const ADMIN_CLAIM_CODE_HOURS = 24;

/**
 * Creates an unclaimed admin and their claim code in one transaction (person, code and both audit
 * entries): a crash or failure half-way never leaves an admin without a code, who would block the
 * username and, on an empty database, the first start's bootstrap.
 */
export async function createAdmin(
  deps: Deps,
  input: { name: string; username: string },
  actor: Actor,
  options: { breakGlass?: boolean } = {},
): Promise<IssuedAccessCode> {
  const checked = validatePersonInput({ ...input, role: 'admin' }, { creating: true });
  if (!checked.ok) {
    const message = describeProblems('en', checked.problems);
    throw new AppError('validation_failed', { fields: checked.problems, message });
  }
  const now = deps.clock.now();
  const row = newPersonRow({ ...checked.fields, name: checked.fields.name! }, now);
  try {
    const issued = await deps.db.transaction().execute(async (trx) => {
      await createPersonIn(trx, row, actor, now);
      // `keyslip admin create` on the server is the break-glass path past the two-person rule
      // (SPEC §9): it stays, and says so in the log.
      if (options.breakGlass) {
        await recordAuditEvent(trx, {
          action: 'break_glass.admin_created',
          actor,
          personId: row.id,
          details: { username: row.username, activeAdmins: await countActiveAdmins(trx) },
          at: now,
        });
      }
      return issueAccessCodeIn(trx, deps, row, { actor, lifetimeHours: ADMIN_CLAIM_CODE_HOURS, now });
    });
    countCodesIssued({}, 1);
    return issued;
  } catch (error) {
    if (uniqueViolationColumn(error) === 'username') {
      throw new AppError('username_taken', { fields: [{ field: 'username', code: 'username_taken' }] });
    }
    throw error;
  }
}

/**
 * Creates the first admin when the directory is empty; null when it is not. Several instances
 * starting at once on an empty database may all see it empty: the unique username lets one
 * create the admin, and the others carry on without one.
 */
export async function createFirstAdminIfEmpty(deps: Deps): Promise<IssuedAccessCode | null> {
  if (await anyPersonExists(deps.db)) return null;
  try {
    return await createAdmin(deps, { name: 'Administrator', username: 'admin' }, SYSTEM_ACTOR);
  } catch (error) {
    if (error instanceof AppError && error.code === 'username_taken') return null;
    throw error;
  }
}
