// Who a batch's codes were made for, and how far they have got: names and states only, never a
// code. Read from the batch's code rows (indexed by batch_id), so it stays right after the
// download window has closed and the encrypted codes are erased.
import type { ExpressionBuilder } from 'kysely';
import type { Database, Db } from '../db/database.js';
import { accessCodeStateOf, type AccessCodeStateName } from './access-codes.service.js';

export interface BatchRecipient {
  personId: string;
  name: string;
  username: string | null;
  employeeId: string | null;
  department: string | null;
  location: string | null;
  /** The state of the code this batch made for the person (used, active, replaced …). */
  codeState: AccessCodeStateName;
}

export interface BatchProgress {
  /** Codes the batch made. */
  total: number;
  /** Of those, used (the person claimed their account or recovered it). */
  used: number;
  /** Still usable. */
  active: number;
}

/** The first `limit` recipients in name order, and the batch's progress over all of them. */
export async function listBatchRecipients(
  db: Db,
  batchId: string,
  /** `withinAreas`: only the recipients who are members of these areas (a manager's view, SPEC §9). */
  options: { limit: number; now: number; withinAreas?: readonly string[] },
): Promise<{ items: BatchRecipient[]; progress: BatchProgress }> {
  const { now } = options;
  const areas = options.withinAreas;
  if (areas !== undefined && areas.length === 0) return { items: [], progress: { total: 0, used: 0, active: 0 } };
  const members = (eb: ExpressionBuilder<Database, 'access_codes'>) =>
    areas === undefined
      ? eb.lit(true)
      : eb(
          'access_codes.person_id',
          'in',
          eb.selectFrom('area_members').select('area_members.person_id').where('area_members.area_id', 'in', areas),
        );
  const counts = await db
    .selectFrom('access_codes')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('total'),
      eb.fn.count<number | string>('used_at').as('used'),
      eb.fn
        .sum<number | string | null>(
          eb
            .case()
            .when(
              eb.and([
                eb('used_at', 'is', null),
                eb('deactivated_at', 'is', null),
                eb('replaced_at', 'is', null),
                eb('expires_at', '>', now),
              ]),
            )
            .then(1)
            .else(0)
            .end(),
        )
        .as('active'),
    ])
    .where('batch_id', '=', batchId)
    .where(members)
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('access_codes')
    .innerJoin('people', 'people.id', 'access_codes.person_id')
    .selectAll('access_codes')
    .select(['people.name', 'people.username', 'people.employee_id', 'people.department', 'people.location'])
    .where('access_codes.batch_id', '=', batchId)
    .where(members)
    .orderBy('people.name')
    .orderBy('people.id')
    .limit(options.limit)
    .execute();
  return {
    items: rows.map((row) => ({
      personId: row.person_id,
      name: row.name,
      username: row.username,
      employeeId: row.employee_id,
      department: row.department,
      location: row.location,
      codeState: accessCodeStateOf(row, now),
    })),
    progress: { total: Number(counts.total), used: Number(counts.used), active: Number(counts.active ?? 0) },
  };
}
