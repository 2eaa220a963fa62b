// The admin's audit log page: filters by person, actor (by name, username or id), action and day,
// newest first, paged, bulk issues folded into one line; and the filtered log as a CSV file.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { listBatchRecipients } from '../access-codes/batch-recipients.js';
import { AUDIT_ACTIONS, listAuditEvents, type AuditEvent, type AuditFilter } from '../audit/audit.js';
import { pickLocale, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { DAY } from '../lib/clock.js';
import { normaliseUsername } from '../people/person.js';
import { findPersonByUsername, searchPeopleRows } from '../people/people.store.js';
import {
  auditCsvHeader,
  auditCsvRow,
  auditPage,
  auditText,
  type AuditFilterValues,
  type AuditPageModel,
  type FoldedBatch,
  type MatchedPerson,
} from './admin-audit.views.js';
import { ID, page, PAGE_SIZE, queryOf, text, type AdminRoute } from './admin.page.js';
import { requestsText } from './admin-code-requests.views.js';
import { sharedAreaIdsOf } from '../areas/scope.js';
import { scopeOf } from '../http/scope.js';

export const ADMIN_AUDIT_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/audit', handler: showAuditLog, managers: true },
  { method: 'GET', url: '/admin/audit/export.csv', handler: exportAuditLog, managers: true },
];

/** A name search narrows the log to at most this many people. */
const MAX_NAME_MATCHES = 20;
/** Recipients a folded bulk issue lists in place (the batch page lists them all). */
const FOLDED_RECIPIENTS = 100;
/** The most entries one CSV export holds; narrow the filters for more. */
const EXPORT_CAP = 100_000;

interface ParsedAuditFilter {
  values: AuditFilterValues;
  errors: Partial<Record<keyof AuditFilterValues, string>>;
  filter: AuditFilter;
  impossible: boolean;
  matches: AuditPageModel['matches'];
  /** Whose log this is: everyone's, or a manager's areas. */
  scope: Awaited<ReturnType<typeof scopeOf>>;
}

async function showAuditLog(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const query = queryOf(request);
  const { values, errors, filter, impossible, matches, scope } = await parseAuditFilter(deps, request, locale, query);
  const cursor = text(query.cursor, 64);
  if (cursor && ID.test(cursor)) filter.cursor = cursor;
  // Without a person, a bulk issue is one line (its recipients open in place).
  if (!filter.personId && !filter.personIds && values.action !== 'access_code.issued') filter.foldBatches = true;
  const result = impossible ? { items: [], nextCursor: null } : await listAuditEvents(deps.db, filter);
  const people = await namesOf(deps, result.items);
  // A manager's folded batch lists only the recipients in their areas (another manager's batch may
  // reach areas they do not manage).
  const batches = await foldedBatches(deps, result.items, scope.all ? undefined : scope.areaIds);
  return page(deps, request, reply, {
    title: labelText(locale, 'auditLog'),
    wide: true,
    body: () => {
      const paging = { nextCursor: result.nextCursor, paged: filter.cursor !== undefined };
      return auditPage({ locale, values, errors, events: result.items, people, ...paging, matches, batches });
    },
  });
}

/** The filtered log as CSV, newest first, every entry (a bulk issue's too), in the admin's language. */
async function exportAuditLog(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const { filter, impossible } = await parseAuditFilter(deps, request, locale, queryOf(request));
  const stamp = new Date(deps.clock.now()).toISOString().slice(0, 10);
  reply
    .header('Cache-Control', 'no-store')
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="keyslip-audit-${stamp}.csv"`);
  return reply.send(impossible ? auditCsvHeader(locale) : await auditCsv(deps, locale, filter));
}

/** Every entry the filter selects (up to EXPORT_CAP) as one CSV text with a header row. */
export async function auditCsv(deps: Deps, locale: Locale, base: AuditFilter): Promise<string> {
  const parts = [auditCsvHeader(locale)];
  const filter: AuditFilter = { ...base, limit: 1000 };
  for (let written = 0; written < EXPORT_CAP; ) {
    const result = await listAuditEvents(deps.db, filter);
    const people = await namesOf(deps, result.items);
    for (const event of result.items) parts.push(auditCsvRow(locale, event, people));
    written += result.items.length;
    if (!result.nextCursor) break;
    filter.cursor = result.nextCursor;
  }
  return parts.join('');
}

async function parseAuditFilter(
  deps: Deps,
  request: FastifyRequest,
  locale: Locale,
  query: Record<string, unknown>,
): Promise<ParsedAuditFilter> {
  const values: AuditFilterValues = {
    person: text(query.person, 100) ?? '',
    actor: text(query.actor, 100) ?? '',
    action: text(query.action, 60) ?? '',
    from: text(query.from, 10) ?? '',
    to: text(query.to, 10) ?? '',
    area: text(query.area, 200) ?? '',
  };
  // A manager reads the entries of their areas only, and names only people of their areas (an
  // unknown name and one outside them get the same answer).
  const scope = await scopeOf(deps, request);
  const errors: Partial<Record<keyof AuditFilterValues, string>> = {};
  const filter: AuditFilter = { limit: PAGE_SIZE };
  let impossible = false;
  if (values.area) {
    const areaId = await resolveArea(deps, values.area);
    if (areaId) filter.areaIds = [areaId];
    else {
      errors.area = requestsText(locale, 'unknownArea');
      impossible = true;
    }
  }
  if (!scope.all) {
    const asked = filter.areaIds;
    filter.areaIds = asked ? scope.areaIds.filter((area) => asked.includes(area)) : scope.areaIds;
    if (asked && filter.areaIds.length === 0) {
      errors.area = requestsText(locale, 'unknownArea');
      impossible = true;
    }
  }
  const visible = async (person: MatchedPerson): Promise<boolean> =>
    scope.all ||
    person.id === scope.managerId ||
    (await sharedAreaIdsOf(deps.db, scope.managerId, person.id)).length > 0;
  let matches: AuditPageModel['matches'] = null;
  for (const field of ['person', 'actor'] as const) {
    if (!values[field]) continue;
    const resolved = await resolvePeople(deps, values[field], scope.all ? undefined : scope.areaIds);
    const found = resolved === 'too-many' ? resolved : await filterAsync(resolved, visible);
    if (found === 'too-many') {
      errors[field] = auditText(locale, 'tooManyPeople', { max: MAX_NAME_MATCHES, text: values[field] });
      impossible = true;
    } else if (found.length === 0) {
      errors[field] = auditText(locale, 'unknownPerson');
      impossible = true;
    } else if (found.length === 1) {
      if (field === 'person') filter.personId = found[0]!.id;
      else filter.actorId = found[0]!.id;
    } else {
      if (field === 'person') filter.personIds = found.map((p) => p.id);
      else filter.actorIds = found.map((p) => p.id);
      matches ??= { field, text: values[field], people: found };
    }
  }
  if (values.action && (AUDIT_ACTIONS as readonly string[]).includes(values.action)) filter.action = values.action;
  else values.action = '';
  if (values.from) {
    const from = dayStart(values.from);
    if (from === null) errors.from = auditText(locale, 'badDate');
    else filter.from = from;
  }
  if (values.to) {
    const to = dayStart(values.to);
    if (to === null) errors.to = auditText(locale, 'badDate');
    else filter.to = to + DAY;
  }
  return { values, errors, filter, impossible, matches, scope };
}

/** An area given by id or name (folded as areas store it); null when there is none. */
async function resolveArea(deps: Deps, value: string): Promise<string | null> {
  const key = value.normalize('NFKC').toLowerCase().trim();
  const row = await deps.db
    .selectFrom('areas')
    .select('id')
    .where((eb) => eb.or([eb('id', '=', value), eb('name_key', '=', key)]))
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * The people a Person / Done by value names: an id, an exact username, or else the People
 * search (name, username, email, employee id); 'too-many' past MAX_NAME_MATCHES.
 */
async function resolvePeople(
  deps: Deps,
  value: string,
  withinAreas?: readonly string[],
): Promise<MatchedPerson[] | 'too-many'> {
  if (ID.test(value))
    return [{ id: value, name: value, username: null, employeeId: null, location: null, department: null }];
  const username = normaliseUsername(value);
  const exact = username ? await findPersonByUsername(deps.db, username) : null;
  const rows = exact
    ? [exact]
    : (
        await searchPeopleRows(deps.db, withinAreas ? { q: value, withinAreas } : { q: value }, {
          limit: MAX_NAME_MATCHES + 1,
          after: null,
          now: deps.clock.now(),
        })
      ).rows;
  if (rows.length > MAX_NAME_MATCHES) return 'too-many';
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    username: row.username,
    employeeId: row.employee_id,
    location: row.location,
    department: row.department,
  }));
}

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept: T[] = [];
  for (const item of items) if (await keep(item)) kept.push(item);
  return kept;
}

/** The recipients of the bulk issues among the events, by batch id. */
async function foldedBatches(
  deps: Deps,
  events: readonly AuditEvent[],
  withinAreas?: readonly string[],
): Promise<Map<string, FoldedBatch>> {
  const batches = new Map<string, FoldedBatch>();
  const options = { limit: FOLDED_RECIPIENTS, now: deps.clock.now(), ...(withinAreas ? { withinAreas } : {}) };
  for (const event of events) {
    const batchId = event.details.batchId;
    if (event.action !== 'access_codes.issued' || typeof batchId !== 'string' || !ID.test(batchId)) continue;
    const found = await listBatchRecipients(deps.db, batchId, options);
    batches.set(batchId, { items: found.items, total: found.progress.total });
  }
  return batches;
}

function dayStart(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const ms = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** The names of the people the events are about or were done by. */
async function namesOf(
  deps: Deps,
  events: readonly { personId: string | null; actor: { id: string | null } }[],
): Promise<Map<string, { name: string; username: string | null; employeeId: string | null }>> {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.personId) ids.add(event.personId);
    if (event.actor.id) ids.add(event.actor.id);
  }
  const people = new Map<string, { name: string; username: string | null; employeeId: string | null }>();
  if (ids.size === 0) return people;
  const rows = await deps.db
    .selectFrom('people')
    .select(['id', 'name', 'username', 'employee_id'])
    .where('id', 'in', [...ids])
    .execute();
  for (const row of rows) people.set(row.id, { name: row.name, username: row.username, employeeId: row.employee_id });
  return people;
}
