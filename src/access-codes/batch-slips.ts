// A batch's codes in the order slips are handed out (SPEC §5, the UX review's journey 2): by
// store, then department, then surname, so a manager with a pile of slips finds each person at
// once. The store is the person's first area by name (within the batch's areas, for a batch of an
// area or a manager's), else their location. The order is made in memory from the batch's small
// facts (no codes), with the locale's collation (Swedish puts Å Ä Ö after Z); the codes are then
// decrypted chunk by chunk in that order, so memory stays bounded by the facts, not the codes.
import type { Deps } from '../deps.js';
import { decrypt } from '../lib/keyring.js';
import { formatAccessCode } from './access-code.js';
import { downloadableBatch, offeredCodes, openBatchCodes, type BatchItem } from './batches.service.js';

const CHUNK = 1000;

export interface BatchSlip extends BatchItem {
  employeeId: string | null;
  department: string | null;
  /** The store the slip is handed out in: the first area by name, else the location; null when neither. */
  store: string | null;
}

interface SlipFacts {
  codeId: string;
  personId: string;
  name: string;
  username: string | null;
  employeeId: string | null;
  department: string | null;
  location: string | null;
  expiresAt: number;
}

/** The surname as a list sorts by it: the last word of the name ("Sara Sjögren" → "Sjögren"). */
export function surnameOf(name: string): string {
  const words = name.trim().split(/\s+/);
  return words[words.length - 1] ?? '';
}

/**
 * Sorts slips by store, department and surname (then the whole name and the employee id, so
 * namesakes keep one order); slips without a store or department come after those with one.
 */
export function sortSlips<
  T extends { store: string | null; department: string | null; name: string; employeeId: string | null },
>(slips: T[], locale: 'en' | 'sv'): T[] {
  const collator = new Intl.Collator(locale === 'sv' ? 'sv' : 'en', { sensitivity: 'base', numeric: true });
  const missingLast = (a: string | null, b: string | null): number =>
    a === b ? 0 : a === null || a === '' ? 1 : b === null || b === '' ? -1 : collator.compare(a, b);
  return slips.sort(
    (a, b) =>
      missingLast(a.store, b.store) ||
      missingLast(a.department, b.department) ||
      collator.compare(surnameOf(a.name), surnameOf(b.name)) ||
      collator.compare(a.name, b.name) ||
      missingLast(a.employeeId, b.employeeId),
  );
}

/** The batch's open codes as slips, in hand-out order. */
export async function* readBatchSlips(deps: Deps, batchId: string, locale: 'en' | 'sv'): AsyncGenerator<BatchSlip> {
  const batch = await downloadableBatch(deps, batchId);
  // A batch for an area, or a manager's for their areas: the slip names a store within them.
  const within = new Set(batch.filter.area !== undefined ? [batch.filter.area] : (batch.filter.withinAreas ?? []));

  const facts: SlipFacts[] = [];
  let after = '';
  for (;;) {
    const rows = await offeredCodes(deps.db, batchId)
      .select(['people.employee_id as employeeId', 'people.department', 'people.location'])
      .where('access_codes.id', '>', after)
      .orderBy('access_codes.id')
      .limit(CHUNK)
      .execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.codeId;
    facts.push(...rows);
  }

  // Each person's first area by name (areas are few; a person's areas fewer), among the batch's
  // areas when it names some and the person is still in one of them.
  const collator = new Intl.Collator(locale === 'sv' ? 'sv' : 'en', { sensitivity: 'base', numeric: true });
  const firstArea = new Map<string, { name: string; within: boolean }>();
  for (let i = 0; i < facts.length; i += CHUNK) {
    const ids = facts.slice(i, i + CHUNK).map((fact) => fact.personId);
    const memberships = await deps.db
      .selectFrom('area_members')
      .innerJoin('areas', 'areas.id', 'area_members.area_id')
      .select(['area_members.person_id as personId', 'areas.id', 'areas.name'])
      .where('area_members.person_id', 'in', ids)
      .execute();
    for (const { personId, id, name } of memberships) {
      const known = firstArea.get(personId);
      const candidate = { name, within: within.has(id) };
      const better =
        known === undefined ||
        (candidate.within && !known.within) ||
        (candidate.within === known.within && collator.compare(name, known.name) < 0);
      if (better) firstArea.set(personId, candidate);
    }
  }

  const ordered = sortSlips(
    facts.map((fact) => ({ ...fact, store: firstArea.get(fact.personId)?.name ?? fact.location ?? null })),
    locale,
  );
  // The codes themselves: from the batch's sealed chunks, or (batches made before migration 0011)
  // sealed on each row.
  const chunked = await openBatchCodes(deps, batchId, new Set(facts.map((fact) => fact.codeId)));
  for (let i = 0; i < ordered.length; i += CHUNK) {
    const part = ordered.slice(i, i + CHUNK);
    const sealed = new Map(
      (
        await deps.db
          .selectFrom('access_codes')
          .select(['id', 'code_encrypted'])
          .where(
            'id',
            'in',
            part.map((slip) => slip.codeId),
          )
          .where('used_at', 'is', null)
          .where('deactivated_at', 'is', null)
          .where('replaced_at', 'is', null)
          .execute()
      ).map((row) => [row.id, row.code_encrypted]),
    );
    for (const slip of part) {
      // Used, replaced or deactivated since the facts were read: no longer offered.
      if (!sealed.has(slip.codeId)) continue;
      const encrypted = sealed.get(slip.codeId);
      const code =
        chunked.get(slip.codeId) ??
        (encrypted ? decrypt(deps.keyring, 'batch code', encrypted, { associatedData: batchId }) : null);
      if (code === null) continue;
      yield {
        id: slip.personId,
        name: slip.name,
        username: slip.username,
        code: formatAccessCode(code),
        expiresAt: slip.expiresAt,
        employeeId: slip.employeeId,
        department: slip.department,
        store: slip.store,
      };
    }
  }
}
