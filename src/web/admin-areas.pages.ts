// The admin's Areas pages (SPEC §9): the list and creating one, an area's page (rename, members
// and managers: add by searching a person, remove), delete behind a confirmation, and a person's
// areas changed from their page. A table of routes, then one named handler per route.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeAreaCursor, encodeAreaCursor, type Area } from '../areas/area.js';
import {
  addAreaManager,
  addAreaMember,
  areasManagedBy,
  areasOfPerson,
  createArea,
  deleteArea,
  findAreaByName,
  getArea,
  listAreaMembers,
  listAreas,
  removeAreaManager,
  removeAreaMember,
  renameArea,
} from '../areas/areas.service.js';
import type { AreaPersonRow } from '../areas/areas.store.js';
import type { Deps } from '../deps.js';
import { AppError, ERRORS } from '../errors.js';
import { formString, verifyFormCsrf } from '../http/forms.js';
import type { SafeHtml } from '../http/html.js';
import { pickLocale, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { Person } from '../people/person.js';
import { searchPeopleRows } from '../people/people.store.js';
import { describeProblem } from '../problems.js';
import {
  areaPage,
  areasListPage,
  areasText,
  deleteAreaPage,
  personAreasPanel,
  type AreasKey,
} from './admin-areas.views.js';
import {
  fieldErrorsOf,
  ID,
  idParam,
  page,
  PAGE_SIZE,
  queryOf,
  sessionOf,
  text,
  type AdminRoute,
} from './admin.page.js';

export const ADMIN_AREAS_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/areas', handler: listAreasPage },
  { method: 'POST', url: '/admin/areas', handler: createAreaNow },
  { method: 'GET', url: '/admin/areas/:id', handler: showArea },
  { method: 'POST', url: '/admin/areas/:id', handler: renameAreaNow },
  { method: 'GET', url: '/admin/areas/:id/delete', handler: confirmDeleteArea },
  { method: 'POST', url: '/admin/areas/:id/delete', handler: deleteAreaNow },
  { method: 'POST', url: '/admin/areas/:id/members', handler: addMemberNow },
  { method: 'POST', url: '/admin/areas/:id/members/:personId/remove', handler: removeMemberNow },
  { method: 'POST', url: '/admin/areas/:id/managers', handler: addManagerNow },
  { method: 'POST', url: '/admin/areas/:id/managers/:personId/remove', handler: removeManagerNow },
  { method: 'POST', url: '/admin/people/:id/areas', handler: addPersonToArea },
  { method: 'POST', url: '/admin/people/:id/areas/:areaId/remove', handler: removePersonFromArea },
];

/** How many people the "Add people" search shows. */
const FOUND_LIMIT = 10;

const DONE: Record<string, AreasKey> = {
  created: 'doneCreated',
  renamed: 'doneRenamed',
  deleted: 'doneDeleted',
  'member-added': 'doneMemberAdded',
  'member-removed': 'doneMemberRemoved',
  'manager-added': 'doneManagerAdded',
  'manager-removed': 'doneManagerRemoved',
};

function doneOf(locale: Locale, query: Record<string, unknown>): string | null {
  const key = DONE[text(query.done, 40) ?? ''];
  return key ? areasText(locale, key) : null;
}

function paramOf(request: FastifyRequest, name: 'personId' | 'areaId'): string {
  const value = (request.params as Record<string, string | undefined>)[name] ?? '';
  if (!ID.test(value)) throw new AppError('not_found');
  return value;
}

async function areaOr404(deps: Deps, id: string): Promise<Area> {
  const area = await getArea(deps.db, id);
  if (!area) throw new AppError('not_found');
  return area;
}

/** A cursor from a link someone may have edited: a bad one starts again from the first page. */
function cursorOf(value: unknown): { name: string; id: string } | null {
  try {
    return decodeAreaCursor(text(value, 1000));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The list

async function listAreasPage(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = queryOf(request);
  return renderList(deps, request, reply, { name: '', error: undefined, done: doneOf(pickLocale(request), query) });
}

async function renderList(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { name: string; error: string | undefined; done: string | null; status?: number },
): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const query = queryOf(request);
  const q = text(query.q);
  const cursor = cursorOf(query.cursor);
  const result = await listAreas(deps.db, { ...(q ? { q } : {}), limit: PAGE_SIZE, after: cursor });
  return page(deps, request, reply, {
    title: labelText(locale, 'areas'),
    wide: true,
    ...(options.status !== undefined ? { status: options.status } : {}),
    body: (csrfToken) =>
      areasListPage({
        locale,
        csrfToken,
        areas: result.items,
        q,
        nextCursor: encodeAreaCursor(result.next),
        paged: cursor !== null,
        name: options.name,
        error: options.error,
        done: options.done,
      }),
  });
}

async function createAreaNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const name = formString(request.body, 'name');
  try {
    const area = await createArea(deps, name, sessionOf(request).actor);
    return reply.redirect(`/admin/areas/${area.id}?done=created`, 303);
  } catch (error) {
    const errors = error instanceof AppError ? fieldErrorsOf(pickLocale(request), error) : null;
    if (!errors) throw error;
    return renderList(deps, request, reply, { name, error: errors.name, done: null, status: 400 });
  }
}

// ---------------------------------------------------------------------------------------------
// One area

async function showArea(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const area = await areaOr404(deps, idParam(request));
  const query = queryOf(request);
  const problem = text(query.problem, 40);
  const locale = pickLocale(request);
  return renderArea(deps, request, reply, area, {
    renameValue: area.name,
    renameError: undefined,
    problem: problem === 'person-deactivated' ? ERRORS.person_deactivated[locale] : null,
    done: doneOf(locale, query),
  });
}

async function renderArea(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  area: Area,
  options: { renameValue: string; renameError: string | undefined; problem: string | null; done: string | null },
  status?: number,
): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const query = queryOf(request);
  const cursor = cursorOf(query.cursor);
  const find = text(query.find);
  const [members, managers] = await Promise.all([
    listAreaMembers(deps.db, area.id, { limit: PAGE_SIZE, after: cursor }),
    listAreaMembers(deps.db, area.id, { managers: true, limit: 200, after: null }),
  ]);
  const found = find ? await findPeople(deps, area.id, find) : [];
  return page(deps, request, reply, {
    title: area.name,
    wide: true,
    ...(status !== undefined ? { status } : {}),
    body: (csrfToken) =>
      areaPage({
        locale,
        csrfToken,
        area,
        members: members.rows,
        membersNext: encodeAreaCursor(members.next),
        membersPaged: cursor !== null,
        managers: managers.rows,
        find,
        found,
        ...options,
      }),
  });
}

/** The "Add people" search: the people search itself, with whether each is already in the area. */
async function findPeople(
  deps: Deps,
  areaId: string,
  q: string,
): Promise<{ person: AreaPersonRow; member: boolean; manager: boolean }[]> {
  const now = deps.clock.now();
  const { rows } = await searchPeopleRows(deps.db, { q }, { limit: FOUND_LIMIT, after: null, now });
  const ids = rows.map((row) => row.id);
  if (ids.length === 0) return [];
  const inArea = async (table: 'area_members' | 'area_managers'): Promise<Set<string>> =>
    new Set(
      (
        await deps.db
          .selectFrom(table)
          .select('person_id')
          .where('area_id', '=', areaId)
          .where('person_id', 'in', ids)
          .execute()
      ).map((row) => row.person_id),
    );
  const [members, managers] = await Promise.all([inArea('area_members'), inArea('area_managers')]);
  return rows.map((row) => ({
    person: {
      id: row.id,
      name: row.name,
      username: row.username,
      employee_id: row.employee_id,
      role: row.role,
      status: row.status,
    },
    member: members.has(row.id),
    manager: managers.has(row.id),
  }));
}

async function renameAreaNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const area = await areaOr404(deps, idParam(request));
  const name = formString(request.body, 'name');
  try {
    await renameArea(deps, area.id, name, sessionOf(request).actor);
    return reply.redirect(`/admin/areas/${area.id}?done=renamed`, 303);
  } catch (error) {
    const errors = error instanceof AppError ? fieldErrorsOf(pickLocale(request), error) : null;
    if (!errors) throw error;
    const options = { renameValue: name, renameError: errors.name, problem: null, done: null };
    return renderArea(deps, request, reply, area, options, 400);
  }
}

async function confirmDeleteArea(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const area = await areaOr404(deps, idParam(request));
  return page(deps, request, reply, {
    title: areasText(locale, 'deleteTitle', { name: area.name }),
    body: (csrfToken) => deleteAreaPage({ locale, csrfToken, area }),
  });
}

async function deleteAreaNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  await deleteArea(deps, idParam(request), sessionOf(request).actor);
  return reply.redirect('/admin/areas?done=deleted', 303);
}

/** Back to the area's page, keeping the "Add people" search the admin was working through. */
function backToArea(areaId: string, request: FastifyRequest, done: string): string {
  const find = text(formString(request.body, 'find'));
  const params = new URLSearchParams(find ? [['find', find]] : []);
  params.set('done', done);
  return `/admin/areas/${areaId}?${params}${find ? '#add-people' : ''}`;
}

function personIdOf(request: FastifyRequest): string {
  const id = formString(request.body, 'personId');
  if (!ID.test(id)) throw new AppError('not_found');
  return id;
}

async function addMemberNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const areaId = idParam(request);
  await addAreaMember(deps, areaId, personIdOf(request), sessionOf(request).actor);
  return reply.redirect(backToArea(areaId, request, 'member-added'), 303);
}

async function addManagerNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const areaId = idParam(request);
  try {
    await addAreaManager(deps, areaId, personIdOf(request), sessionOf(request).actor);
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'person_deactivated')) throw error;
    return reply.redirect(`/admin/areas/${areaId}?problem=person-deactivated`, 303);
  }
  return reply.redirect(backToArea(areaId, request, 'manager-added'), 303);
}

async function removeMemberNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const areaId = idParam(request);
  await removeAreaMember(deps, areaId, paramOf(request, 'personId'), sessionOf(request).actor);
  return reply.redirect(`/admin/areas/${areaId}?done=member-removed`, 303);
}

async function removeManagerNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const areaId = idParam(request);
  await removeAreaManager(deps, areaId, paramOf(request, 'personId'), sessionOf(request).actor);
  return reply.redirect(`/admin/areas/${areaId}?done=manager-removed`, 303);
}

// ---------------------------------------------------------------------------------------------
// A person's areas, from their page

async function addPersonToArea(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const personId = idParam(request);
  const name = formString(request.body, 'area').trim();
  const area = name === '' ? null : await findAreaByName(deps.db, name);
  if (!area) {
    const params = new URLSearchParams([
      ['areaProblem', 'unknown'],
      ['area', name.slice(0, 100)],
    ]);
    return reply.redirect(`/admin/people/${personId}?${params}#areas`, 303);
  }
  await addAreaMember(deps, area.id, personId, sessionOf(request).actor);
  return reply.redirect(`/admin/people/${personId}?done=area-added#areas`, 303);
}

async function removePersonFromArea(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const personId = idParam(request);
  await removeAreaMember(deps, paramOf(request, 'areaId'), personId, sessionOf(request).actor);
  return reply.redirect(`/admin/people/${personId}?done=area-removed#areas`, 303);
}

/**
 * The areas panel of a person's page (admin-people.pages.ts renders the page): their areas, the
 * areas they manage, and the "Add to area" form with the problem of the last try, if any.
 */
export async function personAreasSection(
  deps: Deps,
  request: FastifyRequest,
  person: Person,
): Promise<(csrfToken: string) => SafeHtml> {
  const locale = pickLocale(request);
  const query = queryOf(request);
  const tried = text(query.area, 100) ?? '';
  const unknown = text(query.areaProblem, 20) === 'unknown';
  const problem = {
    field: 'area',
    code: tried ? 'area_unknown' : 'area_name_invalid',
    params: { value: tried },
  } as const;
  const error = unknown ? describeProblem(locale, problem) : undefined;
  const doneKey = { 'area-added': 'donePersonAreaAdded', 'area-removed': 'donePersonAreaRemoved' } as const;
  const done = text(query.done, 20);
  const doneText = done === 'area-added' || done === 'area-removed' ? areasText(locale, doneKey[done]) : null;
  const [areas, managed] = await Promise.all([areasOfPerson(deps.db, person.id), areasManagedBy(deps.db, person.id)]);
  return (csrfToken) =>
    personAreasPanel({ locale, csrfToken, person, areas, managed, value: error ? tried : '', error, done: doneText });
}
