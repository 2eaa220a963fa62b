// The admin's People pages (SPEC §5): the list (search, filters, paging), add, edit, deactivate,
// end sessions, and the import page. A table of routes, then one named handler per route.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { formString, verifyFormCsrf } from '../http/forms.js';
import type { SafeHtml } from '../http/html.js';
import { pickLocale, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { toPerson, type Person, type PersonInput } from '../people/person.js';
import { deactivatePerson } from '../accounts/deactivate-person.js';
import { createPerson, updatePerson } from '../people/people.service.js';
import { COUNT_CAP, decodeCursor, encodeCursor } from '../people/people-query.js';
import { countPeople, listFacets, searchPeopleRows } from '../people/people.store.js';
import { describeProblem } from '../problems.js';
import { listPersonSessions } from '../sessions/sessions.store.js';
import { endSessionsOf } from '../sessions/sessions.service.js';
import { getArea, listAreas } from '../areas/areas.service.js';
import { personAreasSection } from './admin-areas.pages.js';
import { importPage } from './admin-import.views.js';
import {
  deactivatePersonPage,
  peopleListPage,
  peopleResults,
  peopleText,
  personFormPage,
  personFormValues,
  type PersonFormValues,
} from './admin-people.views.js';
import { adminText, filterParams, type FieldErrors } from './admin.views.js';
import {
  countOf,
  fieldErrorsOf,
  filterFrom,
  FRAGMENT_HEADER,
  idParam,
  page,
  PAGE_SIZE,
  personOr404,
  queryOf,
  sessionOf,
  text,
  type AdminRoute,
} from './admin.page.js';

export const ADMIN_PEOPLE_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/people', handler: listPeople },
  { method: 'GET', url: '/admin/people/new', handler: newPersonForm },
  { method: 'POST', url: '/admin/people/new', handler: addPerson },
  { method: 'GET', url: '/admin/people/import', handler: importForm },
  { method: 'GET', url: '/admin/people/:id', handler: showPerson },
  { method: 'POST', url: '/admin/people/:id', handler: editPerson },
  { method: 'GET', url: '/admin/people/:id/deactivate', handler: confirmDeactivatePerson },
  { method: 'POST', url: '/admin/people/:id/deactivate', handler: deactivatePersonNow },
  { method: 'POST', url: '/admin/people/:id/sessions/end', handler: endSessions },
];

async function listPeople(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const query = queryOf(request);
  const filter = filterFrom(query);
  const cursorText = text(query.cursor, 400);
  const now = deps.clock.now();
  const [result, total, facets, areas] = await Promise.all([
    searchPeopleRows(deps.db, filter, { limit: PAGE_SIZE, after: decodeCursor(cursorText), now }),
    countPeople(deps.db, filter, { cap: COUNT_CAP, now }),
    listFacets(deps.db),
    areaChoices(deps, filter.area),
  ]);
  const model = {
    locale,
    filter,
    facets: { ...facets, areas },
    people: result.rows.map((row) => toPerson(row, now)),
    total,
    newestFirst: result.order === 'newest',
    nextCursor: encodeCursor(result.next),
    paged: cursorText !== undefined,
    done: doneNotice(locale, 'list', query),
  };
  const params = filterParams(filter);
  if (cursorText) params.set('cursor', cursorText);
  const returnTo = params.toString() ? `/admin/people?${params}` : '/admin/people';
  if (request.headers[FRAGMENT_HEADER] === 'people') {
    // Search as you type: only the results, for people.js to swap in.
    return reply
      .header('Cache-Control', 'no-store')
      .header('Vary', FRAGMENT_HEADER)
      .type('text/html; charset=utf-8')
      .send(peopleResults(model, returnTo).toString());
  }
  reply.header('Vary', FRAGMENT_HEADER);
  const body = () => peopleListPage(model, returnTo);
  return page(deps, request, reply, { title: labelText(locale, 'people'), wide: true, body });
}

async function newPersonForm(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const values = personFormValues(null);
  return personPage(deps, request, reply, { person: null, values, errors: {}, sessions: 0, done: null });
}

async function addPerson(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const locale = pickLocale(request);
  const { input, values } = personInputFrom(request.body);
  try {
    const person = await createPerson(deps, input, sessionOf(request).actor);
    return reply.redirect(`/admin/people/${person.id}?done=added`, 303);
  } catch (error) {
    const errors = error instanceof AppError ? fieldErrorsOf(locale, error) : null;
    if (!errors) throw error;
    return personPage(deps, request, reply, { person: null, values, errors, sessions: 0, done: null, status: 400 });
  }
}

async function importForm(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const body = (csrfToken: string) => importPage({ locale, csrfToken });
  return page(deps, request, reply, { title: adminText(locale, 'importPeople'), body });
}

async function showPerson(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const person = await personOr404(deps, idParam(request));
  return personPage(deps, request, reply, {
    person,
    values: personFormValues(person),
    errors: {},
    sessions: await sessionCount(deps, person.id),
    done: doneNotice(pickLocale(request), 'person', queryOf(request)),
    areas: await personAreasSection(deps, request, person),
  });
}

async function editPerson(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const locale = pickLocale(request);
  const person = await personOr404(deps, idParam(request));
  const { input, values } = personInputFrom(request.body);
  const refuse = async (errors: FieldErrors): Promise<FastifyReply> => {
    const sessions = await sessionCount(deps, person.id);
    const areas = await personAreasSection(deps, request, person);
    return personPage(deps, request, reply, { person, values, errors, sessions, done: null, status: 400, areas });
  };
  const nameRequired = describeProblem(locale, { field: 'name', code: 'name_required' });
  if (input.name === undefined) return refuse({ name: nameRequired });
  try {
    await updatePerson(deps, person.id, input, sessionOf(request).actor);
    return reply.redirect(`/admin/people/${person.id}?done=saved`, 303);
  } catch (error) {
    const errors = error instanceof AppError ? fieldErrorsOf(locale, error) : null;
    if (!errors) throw error;
    return refuse(errors);
  }
}

async function confirmDeactivatePerson(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const person = await personOr404(deps, idParam(request));
  const self = person.id === sessionOf(request).person.id;
  return page(deps, request, reply, {
    title: peopleText(locale, 'deactivateTitle', { name: person.name }),
    body: (csrfToken) => deactivatePersonPage({ locale, csrfToken, person, self }),
  });
}

async function deactivatePersonNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const id = idParam(request);
  await personOr404(deps, id);
  await deactivatePerson(deps, id, sessionOf(request).actor);
  return reply.redirect(`/admin/people/${id}?done=person-deactivated`, 303);
}

async function endSessions(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const id = idParam(request);
  await personOr404(deps, id);
  const ended = await endSessionsOf(deps, id, sessionOf(request).actor);
  return reply.redirect(`/admin/people/${id}?done=sessions-ended&n=${ended}`, 303);
}

// ---------------------------------------------------------------------------------------------
// Helpers of these pages

/** The People filter's areas: the first 500 by name, and the chosen one wherever it sorts. */
async function areaChoices(deps: Deps, chosen: string | undefined): Promise<{ id: string; name: string }[]> {
  const { items } = await listAreas(deps.db, { limit: 500, after: null });
  const choices = items.map((area) => ({ id: area.id, name: area.name }));
  if (chosen && !choices.some((area) => area.id === chosen)) {
    const area = await getArea(deps.db, chosen);
    if (area) choices.unshift({ id: area.id, name: area.name });
  }
  return choices;
}

function doneNotice(locale: Locale, where: 'list' | 'person', query: Record<string, unknown>): string | null {
  const done = text(query.done, 40);
  const n = countOf(query.n);
  type Key = Parameters<typeof peopleText>[1];
  const t = (key: Key, vars?: Record<string, number>): string => peopleText(locale, key, vars);
  if (done === 'code-deactivated') return t('doneCodeDeactivated');
  if (done === 'codes-deactivated' && where === 'list') return t('doneCodesDeactivated', { count: n });
  if (done === 'person-deactivated') return t('donePersonDeactivated');
  if (done === 'added' && where === 'person') return t('donePersonAdded');
  if (done === 'saved' && where === 'person') return t('donePersonSaved');
  if (done === 'sessions-ended' && where === 'person') return t('doneSessionsEnded', { count: n });
  return null;
}

function personInputFrom(body: unknown): { input: PersonInput; values: PersonFormValues } {
  const values: PersonFormValues = {
    name: formString(body, 'name'),
    username: formString(body, 'username'),
    email: formString(body, 'email'),
    employeeId: formString(body, 'employeeId'),
    department: formString(body, 'department'),
    location: formString(body, 'location'),
    title: formString(body, 'title'),
    role: ((role: string) => (role === 'admin' || role === 'manager' ? role : 'member'))(formString(body, 'role')),
  };
  const role = formString(body, 'role');
  const input: PersonInput = {
    // An empty name is "missing" (the service then answers name_required).
    ...(values.name.trim() === '' ? {} : { name: values.name }),
    username: values.username,
    email: values.email,
    employeeId: values.employeeId,
    department: values.department,
    location: values.location,
    title: values.title,
    // 'manager' is kept by leaving the role as it is (a manager is made one on the Areas page).
    ...(role === 'admin' || role === 'member' ? { role } : {}),
  };
  return { input, values };
}

async function sessionCount(deps: Deps, personId: string): Promise<number> {
  return (await listPersonSessions(deps.db, personId, deps.clock.now())).length;
}

function personPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    person: Person | null;
    values: PersonFormValues;
    errors: FieldErrors;
    sessions: number;
    done: string | null;
    status?: number;
    areas?: (csrfToken: string) => SafeHtml;
  },
): FastifyReply {
  const locale = pickLocale(request);
  const { person, values, errors, sessions, done } = options;
  return page(deps, request, reply, {
    title: person ? person.name : adminText(locale, 'addPerson'),
    wide: person !== null,
    ...(options.status !== undefined ? { status: options.status } : {}),
    body: (csrfToken) =>
      personFormPage({ locale, csrfToken, values, errors, person, sessions, done, areas: options.areas?.(csrfToken) }),
  });
}
