// The admin's audit log page: filters by person, actor, action and day, newest first, paged.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AUDIT_ACTIONS, listAuditEvents, type AuditFilter } from '../audit/audit.js';
import { pickLocale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { DAY } from '../lib/clock.js';
import { normaliseUsername } from '../people/person.js';
import { findPersonByUsername } from '../people/people.store.js';
import { auditPage, auditText, type AuditFilterValues } from './admin-audit.views.js';
import { ID, page, PAGE_SIZE, queryOf, text, type AdminRoute } from './admin.page.js';
import { requestsText } from './admin-code-requests.views.js';
import { sharedAreaIdsOf } from '../areas/scope.js';
import { scopeOf } from '../http/scope.js';

export const ADMIN_AUDIT_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/audit', handler: showAuditLog, managers: true },
];

async function showAuditLog(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const query = queryOf(request);
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
  const visible = async (id: string | null): Promise<string | null> => {
    if (!id || scope.all || id === scope.managerId) return id;
    return (await sharedAreaIdsOf(deps.db, scope.managerId, id)).length > 0 ? id : null;
  };
  if (values.person) {
    const id = await visible(await resolvePerson(deps, values.person));
    if (id) filter.personId = id;
    else {
      errors.person = auditText(locale, 'unknownPerson');
      impossible = true;
    }
  }
  if (values.actor) {
    const id = await visible(await resolvePerson(deps, values.actor));
    if (id) filter.actorId = id;
    else {
      errors.actor = auditText(locale, 'unknownPerson');
      impossible = true;
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
  const cursor = text(query.cursor, 64);
  if (cursor && ID.test(cursor)) filter.cursor = cursor;
  const result = impossible ? { items: [], nextCursor: null } : await listAuditEvents(deps.db, filter);
  const people = await namesOf(deps, result.items);
  return page(deps, request, reply, {
    title: labelText(locale, 'auditLog'),
    wide: true,
    body: () => {
      const paging = { nextCursor: result.nextCursor, paged: filter.cursor !== undefined };
      return auditPage({ locale, values, errors, events: result.items, people, ...paging });
    },
  });
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

/** A person given by id or username; null when there is none. */
async function resolvePerson(deps: Deps, value: string): Promise<string | null> {
  if (ID.test(value)) return value;
  const username = normaliseUsername(value);
  if (!username) return null;
  return (await findPersonByUsername(deps.db, username))?.id ?? null;
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
): Promise<Map<string, { name: string; username: string | null }>> {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.personId) ids.add(event.personId);
    if (event.actor.id) ids.add(event.actor.id);
  }
  const people = new Map<string, { name: string; username: string | null }>();
  if (ids.size === 0) return people;
  const rows = await deps.db
    .selectFrom('people')
    .select(['id', 'name', 'username'])
    .where('id', 'in', [...ids])
    .execute();
  for (const row of rows) people.set(row.id, { name: row.name, username: row.username });
  return people;
}
