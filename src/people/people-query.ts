// The one parser of a people search's input, shared by the API and the admin pages: the filter,
// the page cursor and the cap on counting. Nothing HTTP here; the faces validate the shape first.
import type { PersonStatus } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { CodeState } from './person.js';
import type { PeopleFilter, PeoplePageCursor } from './people.store.js';

/** The values of the status and code-state filters, in the order the pages offer them. */
export const PERSON_STATUSES: readonly PersonStatus[] = ['unclaimed', 'active', 'deactivated'];
export const CODE_STATES: readonly CodeState[] = ['none', 'active', 'expired', 'used', 'deactivated'];

/** What an area id may look like; anything else is no area filter at all. */
const AREA_ID = /^[A-Za-z0-9-]+$/;

/** A count past this many people answers "more than" instead of walking the whole table. */
export const COUNT_CAP = 10_000;

/**
 * Opaque page cursors that carry only a person's id (never a name or other personal data); the
 * store looks the position up from the id. Cursors of the older form [name, id, order?] still read.
 */
export function encodeCursor(cursor: PeoplePageCursor | null): string | null {
  if (!cursor) return null;
  const parts = cursor.order === 'newest' ? ['p', cursor.id, 'newest'] : ['p', cursor.id];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(raw: string | undefined): PeoplePageCursor | null {
  if (!raw) return null;
  try {
    const parts = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    const [first, second, third] = parts;
    // No stored id or name holds a NUL, and PostgreSQL would refuse to compare with one.
    if (first === 'p' && typeof second === 'string' && /^[A-Za-z0-9-]{1,100}$/.test(second)) {
      return third === 'newest' ? { id: second, order: 'newest' } : { id: second };
    }
    if (typeof first === 'string' && typeof second === 'string' && !`${first}${second}`.includes('\u0000')) {
      return third === 'newest' ? { name: first, id: second, order: 'newest' } : { name: first, id: second };
    }
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', {
    message: 'The cursor is not valid.',
    fields: [{ field: 'cursor', code: 'not_valid' }],
  });
}

/** One text value of a query string or form: trimmed, or undefined when blank or too long. */
function textOf(value: unknown, max = 200): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' || trimmed.length > max ? undefined : trimmed;
}

/**
 * The filter from untyped text (the pages' query strings and confirmation forms, which a person
 * may have edited): values the API would refuse are ignored here, so a stale link still shows People.
 */
export function filterFromText(source: unknown): PeopleFilter {
  const input = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  const hasEmail = textOf(input.hasEmail);
  const status = textOf(input.status);
  const codeState = textOf(input.codeState);
  return filterOf({
    q: textOf(input.q),
    hasEmail: hasEmail === 'true' ? true : hasEmail === 'false' ? false : undefined,
    status: PERSON_STATUSES.find((known) => known === status),
    codeState: CODE_STATES.find((known) => known === codeState),
    department: textOf(input.department),
    location: textOf(input.location),
    area: AREA_ID.test(textOf(input.area, 100) ?? '') ? textOf(input.area, 100) : undefined,
  } as PeopleFilter);
}

/** The filter as the store takes it: blank search text and empty values mean "any". */
export function filterOf(query: PeopleFilter): PeopleFilter {
  const filter: PeopleFilter = {};
  if (query.q !== undefined && query.q.trim() !== '') filter.q = query.q;
  if (query.hasEmail !== undefined) filter.hasEmail = query.hasEmail;
  if (query.status) filter.status = query.status;
  if (query.codeState) filter.codeState = query.codeState;
  if (query.department) filter.department = query.department;
  if (query.location) filter.location = query.location;
  if (query.area) filter.area = query.area;
  // Exact lookups compare with the stored form: identifiers as person.ts normalises them.
  if (query.employeeId !== undefined) filter.employeeId = query.employeeId.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (query.username !== undefined) filter.username = query.username.trim().normalize('NFKC').toLowerCase();
  if (query.email !== undefined) filter.email = query.email.trim().normalize('NFKC').toLowerCase();
  if (query.updatedSince !== undefined) filter.updatedSince = query.updatedSince;
  return filter;
}

/**
 * The filter narrowed to the members of the given areas (a manager's scope): applied inside the
 * query, so counts, pages and cursors agree with what the manager may see.
 */
export function withinAreas(filter: PeopleFilter, areaIds: readonly string[]): PeopleFilter {
  return { ...filter, withinAreas: [...areaIds] };
}
