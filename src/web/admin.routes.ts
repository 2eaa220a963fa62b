// The admin panel (SPEC §5): People (search, filters, paging, "More options" menus), one person's
// access code (issue → shown once), codes for a group (confirmation → batch page → CSV/PDF),
// add/edit/deactivate a person, import, the audit log, and the API tokens (list, revoke). Every
// page needs an admin's session; every POST carries `_csrf` and answers 303 (POST-redirect-GET),
// so a reload never repeats it.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError, type FieldProblem } from '../errors.js';
import { recordAuditEvent, AUDIT_ACTIONS, listAuditEvents, type AuditFilter } from '../audit/audit.js';
import { deactivateAccessCode, issueAccessCode, maxLifetimeMs } from '../access-codes/access-codes.service.js';
import { codesCsv, codesPdf } from '../access-codes/batch-files.js';
import { deactivateAccessCodes, getBatch, issueAccessCodes, readBatchCodes, type Batch } from '../access-codes/batches.service.js';
import { slipQrPng } from '../access-codes/slips.pdf.js';
import type { PersonStatus } from '../db/schema.js';
import { csrfTokenForRequest, formString, safeNextPath, verifyFormCsrf } from '../http/forms.js';
import { html as htmlTemplate, type SafeHtml } from '../http/html.js';
import { pickLocale, type Locale } from '../http/i18n.js';
import { label } from '../http/labels.js';
import { renderPage, sendPage } from '../http/layout.js';
import { pageErrorHandler } from '../http/page-errors.js';
import { DAY, HOUR } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import { normaliseUsername, toPerson, USERNAME_RULE, type CodeState, type Person, type PersonInput } from '../people/person.js';
import { deactivatePerson } from '../accounts/deactivate-person.js';
import { createPerson, getPerson, updatePerson } from '../people/people.service.js';
import { COUNT_CAP, decodeCursor, encodeCursor } from '../people/people-query.js';
import { countPeople, findPersonByUsername, listFacets, searchPeopleRows, type PeopleFilter } from '../people/people.store.js';
import { listApiTokens, revokeApiToken } from '../sessions/api-tokens.js';
import { listPersonSessions } from '../sessions/sessions.store.js';
import { endSessionsOf } from '../sessions/sessions.service.js';
import { auditPage, type AuditFilterValues, auditText } from './admin-audit.views.js';
import { batchPage, bulkDeactivatePage, bulkIssuePage, codeGonePage, codesText, deactivateCodePage, issueCodePage, shownCodePage } from './admin-codes.views.js';
import { importPage } from './admin-import.views.js';
import { tokensPage } from './admin-tokens.views.js';
import { deactivatePersonPage, peopleListPage, peopleResults, peopleText, personFormPage, personFormValues, type PersonFormValues } from './admin-people.views.js';
import { ADMIN_SCRIPTS, ADMIN_STYLES, adminText, filterParams, type FieldErrors } from './admin.views.js';
import { putShownCode, takeShownCode } from './shown-code.js';

const PAGE_SIZE = 50;
/** Bulk confirmations count everyone: the admin must know exactly how many codes will be made. */
const UNCAPPED = Number.MAX_SAFE_INTEGER - 1;
/** The header people.js sends to get only the results part of the People page. */
export const FRAGMENT_HEADER = 'x-keyslip-fragment';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATUSES: readonly PersonStatus[] = ['unclaimed', 'active', 'deactivated'];
const CODE_STATES: readonly CodeState[] = ['none', 'active', 'used', 'deactivated', 'expired'];

type SessionAuth = Extract<FastifyRequest['auth'], { via: 'session' }>;

function sessionOf(request: FastifyRequest): SessionAuth {
  const auth = request.auth;
  if (auth.via !== 'session') throw new AppError('unauthenticated');
  return auth;
}

/** preHandler: an admin's session. None → the page error handler sends GETs to /login; member → 403. */
async function requireAdminPage(request: FastifyRequest): Promise<void> {
  const auth = request.auth;
  if (auth.via !== 'session') throw new AppError('unauthenticated');
  if (auth.person.role !== 'admin') throw new AppError('forbidden');
}

// ---------------------------------------------------------------------------------------------
// Parsing

function text(value: unknown, max = 200): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' || trimmed.length > max ? undefined : trimmed;
}

/** The People filter from a query string or a confirmation form; unknown values are ignored. */
function filterFrom(source: unknown): PeopleFilter {
  const input = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  const filter: PeopleFilter = {};
  const q = text(input.q);
  if (q) filter.q = q;
  const hasEmail = text(input.hasEmail);
  if (hasEmail === 'true') filter.hasEmail = true;
  if (hasEmail === 'false') filter.hasEmail = false;
  const status = text(input.status);
  if (status && (STATUSES as readonly string[]).includes(status)) filter.status = status as PersonStatus;
  const codeState = text(input.codeState);
  if (codeState && (CODE_STATES as readonly string[]).includes(codeState)) filter.codeState = codeState as CodeState;
  const department = text(input.department);
  if (department) filter.department = department;
  const location = text(input.location);
  if (location) filter.location = location;
  return filter;
}

function queryOf(request: FastifyRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}

function idParam(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!ID.test(id)) throw new AppError('not_found');
  return id;
}

async function personOr404(deps: Deps, id: string): Promise<Person> {
  const person = await getPerson(deps, id);
  if (!person) throw new AppError('not_found');
  return person;
}

/** Where to go back to: an admin page only, else the fallback. */
function returnPath(value: unknown, fallback: string): string {
  const path = safeNextPath(typeof value === 'string' ? value : undefined, fallback);
  return path.startsWith('/admin/') ? path : fallback;
}

/** `path` with ?done=… (and n=…) set, for the notice after an action. */
function withDone(path: string, done: string, n?: number): string {
  const url = new URL(path, 'http://keyslip.invalid');
  url.searchParams.set('done', done);
  if (n !== undefined) url.searchParams.set('n', String(n));
  else url.searchParams.delete('n');
  return `${url.pathname}${url.search}`;
}

function countOf(value: unknown): number {
  const n = Number(text(value, 12));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

// ---------------------------------------------------------------------------------------------
// Field errors in the admin's language

const FIELD_PROBLEMS_SV: Record<string, string> = {
  'Name is required.': 'Namn måste anges.',
  'Name must be 1–200 characters, without control characters.': 'Namnet måste vara 1–200 tecken, utan styrtecken.',
  [USERNAME_RULE]:
    'Användarnamnet måste vara 3–64 tecken av a–z, 0–9, ".", "_" eller "-" och börja med en bokstav eller siffra.',
  'Email address is not valid.': 'E-postadressen är inte giltig.',
  'Employee id must be at most 64 characters.': 'Anställningsnumret får vara högst 64 tecken.',
  'Give at least one of username, email or employee id.': 'Ange minst ett av användarnamn, e-post eller anställningsnummer.',
  'Keep at least one of username, email or employee id.': 'Behåll minst ett av användarnamn, e-post eller anställningsnummer.',
  'That username is taken.': 'Användarnamnet är upptaget.',
  'That email address is already in use.': 'E-postadressen används redan.',
  'That employee id is already in use.': 'Anställningsnumret används redan.',
  'Role must be member or admin.': 'Rollen måste vara medlem eller administratör.',
};

function problemText(locale: Locale, problem: FieldProblem): string {
  if (locale === 'en') return problem.message;
  if (FIELD_PROBLEMS_SV[problem.message]) return FIELD_PROBLEMS_SV[problem.message]!;
  if (/must be at most 200 characters/.test(problem.message)) return 'Högst 200 tecken, utan styrtecken.';
  return problem.message;
}

function fieldErrorsOf(locale: Locale, error: AppError): FieldErrors | null {
  const fields = error.options.fields;
  if (!fields || fields.length === 0) return null;
  const errors: FieldErrors = {};
  for (const problem of fields) errors[problem.field] ??= problemText(locale, problem);
  return errors;
}

// ---------------------------------------------------------------------------------------------

export function adminWebRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(pageErrorHandler(deps));
    app.addHook('preHandler', requireAdminPage);

    /** Renders an admin page; every admin page is about people, so none is ever stored by a cache. */
    function page(request: FastifyRequest, reply: FastifyReply, options: { title: string; body: (csrfToken: string, locale: Locale) => SafeHtml; status?: number; wide?: boolean }): FastifyReply {
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      // Always the wide frame, so the header (and its admin navigation) stays put from page to
      // page; pages without a table keep a readable measure inside it.
      const body = options.body(csrfToken, locale);
      const html = renderPage({
        locale,
        title: options.title,
        body: options.wide ? body : htmlTemplate`<div class="admin-narrow">${body}</div>`,
        auth: request.auth,
        csrfToken,
        path: request.url.length > 2000 ? '/admin/people' : request.url,
        ...(options.status !== undefined ? { status: options.status } : {}),
        scripts: ADMIN_SCRIPTS,
        styles: ADMIN_STYLES,
        wide: true,
      });
      return sendPage(reply, html, { noStore: true, ...(options.status !== undefined ? { status: options.status } : {}) });
    }

    app.get('/admin', async (_request, reply) => reply.redirect('/admin/people', 303));

    // -------------------------------------------------------------------------------------------
    // People

    app.get('/admin/people', async (request, reply) => {
      const locale = pickLocale(request);
      const query = queryOf(request);
      const filter = filterFrom(query);
      const cursorText = text(query.cursor, 400);
      const now = deps.clock.now();
      const [result, total, facets] = await Promise.all([
        searchPeopleRows(deps.db, filter, { limit: PAGE_SIZE, after: decodeCursor(cursorText), now }),
        countPeople(deps.db, filter, { cap: COUNT_CAP, now }),
        listFacets(deps.db),
      ]);
      const done = doneNotice(locale, 'list', query);
      const model = {
        locale,
        filter,
        facets,
        people: result.rows.map((row) => toPerson(row, now)),
        total,
        newestFirst: result.order === 'newest',
        nextCursor: encodeCursor(result.next),
        paged: cursorText !== undefined,
        done,
      };
      const params = filterParams(filter);
      if (cursorText) params.set('cursor', cursorText);
      const returnTo = params.toString() ? `/admin/people?${params}` : '/admin/people';
      if (request.headers[FRAGMENT_HEADER] === 'people') {
        // Search as you type: only the results, for people.js to swap in.
        return reply.header('Cache-Control', 'no-store').header('Vary', FRAGMENT_HEADER).type('text/html; charset=utf-8').send(peopleResults(model, returnTo).toString());
      }
      reply.header('Vary', FRAGMENT_HEADER);
      return page(request, reply, { title: label(locale, 'people'), wide: true, body: () => peopleListPage(model, returnTo) });
    });

    function doneNotice(locale: Locale, where: 'list' | 'person', query: Record<string, unknown>): string | null {
      const done = text(query.done, 40);
      const n = countOf(query.n);
      const t = (key: Parameters<typeof peopleText>[1], vars?: Record<string, number>): string => peopleText(locale, key, vars);
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
        role: formString(body, 'role') === 'admin' ? 'admin' : 'member',
      };
      const role = formString(body, 'role');
      const input: PersonInput = {
        // An empty name is "missing" (the service then says "Name is required.").
        ...(values.name.trim() === '' ? {} : { name: values.name }),
        username: values.username,
        email: values.email,
        employeeId: values.employeeId,
        department: values.department,
        location: values.location,
        title: values.title,
        ...(role === 'admin' || role === 'member' ? { role } : {}),
      };
      return { input, values };
    }

    async function sessionCount(personId: string): Promise<number> {
      return (await listPersonSessions(deps.db, personId, deps.clock.now())).length;
    }

    function personPage(
      request: FastifyRequest,
      reply: FastifyReply,
      options: { person: Person | null; values: PersonFormValues; errors: FieldErrors; sessions: number; done: string | null; status?: number },
    ): FastifyReply {
      const locale = pickLocale(request);
      const title = options.person ? options.person.name : adminText(locale, 'addPerson');
      return page(request, reply, {
        title,
        wide: options.person !== null,
        ...(options.status !== undefined ? { status: options.status } : {}),
        body: (csrfToken) =>
          personFormPage({ locale, csrfToken, values: options.values, errors: options.errors, person: options.person, sessions: options.sessions, done: options.done }),
      });
    }

    app.get('/admin/people/new', async (request, reply) => personPage(request, reply, { person: null, values: personFormValues(null), errors: {}, sessions: 0, done: null }));

    app.post('/admin/people/new', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const locale = pickLocale(request);
      const { input, values } = personInputFrom(request.body);
      try {
        const person = await createPerson(deps, input, sessionOf(request).actor);
        return reply.redirect(`/admin/people/${person.id}?done=added`, 303);
      } catch (error) {
        const errors = error instanceof AppError ? fieldErrorsOf(locale, error) : null;
        if (!errors) throw error;
        return personPage(request, reply, { person: null, values, errors, sessions: 0, done: null, status: 400 });
      }
    });

    app.get('/admin/people/import', async (request, reply) => {
      const locale = pickLocale(request);
      return page(request, reply, { title: adminText(locale, 'importPeople'), body: (csrfToken) => importPage({ locale, csrfToken }) });
    });

    app.get('/admin/people/:id', async (request, reply) => {
      const person = await personOr404(deps, idParam(request));
      return personPage(request, reply, {
        person,
        values: personFormValues(person),
        errors: {},
        sessions: await sessionCount(person.id),
        done: doneNotice(pickLocale(request), 'person', queryOf(request)),
      });
    });

    app.post('/admin/people/:id', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const locale = pickLocale(request);
      const person = await personOr404(deps, idParam(request));
      const { input, values } = personInputFrom(request.body);
      if (input.name === undefined) {
        const errors = { name: problemText(locale, { field: 'name', message: 'Name is required.' }) };
        return personPage(request, reply, { person, values, errors, sessions: await sessionCount(person.id), done: null, status: 400 });
      }
      try {
        await updatePerson(deps, person.id, input, sessionOf(request).actor);
        return reply.redirect(`/admin/people/${person.id}?done=saved`, 303);
      } catch (error) {
        const errors = error instanceof AppError ? fieldErrorsOf(locale, error) : null;
        if (!errors) throw error;
        return personPage(request, reply, { person, values, errors, sessions: await sessionCount(person.id), done: null, status: 400 });
      }
    });

    app.get('/admin/people/:id/deactivate', async (request, reply) => {
      const locale = pickLocale(request);
      const person = await personOr404(deps, idParam(request));
      const self = person.id === sessionOf(request).person.id;
      return page(request, reply, {
        title: peopleText(locale, 'deactivateTitle', { name: person.name }),
        body: (csrfToken) => deactivatePersonPage({ locale, csrfToken, person, self }),
      });
    });

    app.post('/admin/people/:id/deactivate', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const id = idParam(request);
      await personOr404(deps, id);
      await deactivatePerson(deps, id, sessionOf(request).actor);
      return reply.redirect(`/admin/people/${id}?done=person-deactivated`, 303);
    });

    app.post('/admin/people/:id/sessions/end', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const id = idParam(request);
      await personOr404(deps, id);
      const ended = await endSessionsOf(deps, id, sessionOf(request).actor);
      return reply.redirect(`/admin/people/${id}?done=sessions-ended&n=${ended}`, 303);
    });

    // -------------------------------------------------------------------------------------------
    // One person's access code

    app.get('/admin/people/:id/access-code', async (request, reply) => {
      const locale = pickLocale(request);
      const person = await personOr404(deps, idParam(request));
      if (person.status === 'deactivated') throw new AppError('person_deactivated');
      const returnTo = returnPath(queryOf(request).return, `/admin/people/${person.id}`);
      return page(request, reply, {
        title: label(locale, 'getAccessCode'),
        body: (csrfToken) => issueCodePage({ locale, csrfToken, person, maxLifetimeMs: maxLifetimeMs(deps, person), returnTo }),
      });
    });

    app.post('/admin/people/:id/access-code', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const auth = sessionOf(request);
      const id = idParam(request);
      const person = await personOr404(deps, id);
      const returnTo = returnPath(formString(request.body, 'return'), `/admin/people/${id}`);
      const hours = Number(formString(request.body, 'lifetimeHours'));
      // The longest lifetime is the default; anything else is checked by the service (1 h … max).
      const lifetimeHours = hours > 0 && hours * HOUR !== maxLifetimeMs(deps, person) ? hours : undefined;
      const issued = await issueAccessCode(deps, { personId: id, actor: auth.actor, ...(lifetimeHours ? { lifetimeHours } : {}) });
      putShownCode(deps, reply, auth.sessionIdHash, { personId: id, code: issued.code, expiresAt: issued.expiresAt });
      reply.header('Cache-Control', 'no-store');
      return reply.redirect(`/admin/people/${id}/access-code/shown?return=${encodeURIComponent(returnTo)}`, 303);
    });

    app.get('/admin/people/:id/access-code/shown', async (request, reply) => {
      const locale = pickLocale(request);
      const auth = sessionOf(request);
      const id = idParam(request);
      const person = await personOr404(deps, id);
      const returnTo = returnPath(queryOf(request).return, `/admin/people/${id}`);
      const shown = takeShownCode(deps, request, reply, auth.sessionIdHash, id);
      if (!shown) {
        return page(request, reply, { title: codesText(locale, 'goneTitle'), body: () => codeGonePage({ locale, person, returnTo }) });
      }
      const accessCodeUrl = `${deps.config.baseUrl}/work/accesscode`;
      const qr = await slipQrPng({ name: person.name, username: person.username, code: shown.code, expiresAt: shown.expiresAt }, { locale, accessCodeUrl });
      return page(request, reply, {
        title: codesText(locale, 'shownTitle', { name: person.name }),
        body: () => shownCodePage({ locale, person, code: shown.code, expiresAt: shown.expiresAt, accessCodeUrl, qrDataUrl: `data:image/png;base64,${qr.toString('base64')}`, returnTo }),
      });
    });

    app.get('/admin/people/:id/access-code/deactivate', async (request, reply) => {
      const locale = pickLocale(request);
      const person = await personOr404(deps, idParam(request));
      const returnTo = returnPath(queryOf(request).return, `/admin/people/${person.id}`);
      return page(request, reply, { title: label(locale, 'deactivateAccessCode'), body: (csrfToken) => deactivateCodePage({ locale, csrfToken, person, returnTo }) });
    });

    app.post('/admin/people/:id/access-code/deactivate', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const id = idParam(request);
      await personOr404(deps, id);
      const returnTo = returnPath(formString(request.body, 'return'), `/admin/people/${id}`);
      const result = await deactivateAccessCode(deps, { personId: id, actor: sessionOf(request).actor });
      return reply.redirect(result === null ? returnTo : withDone(returnTo, 'code-deactivated'), 303);
    });

    // -------------------------------------------------------------------------------------------
    // Codes for a group

    /** People the filter selects who would get a code (issueAccessCodes leaves out the deactivated). */
    async function countIssuable(filter: PeopleFilter): Promise<number> {
      const now = deps.clock.now();
      if (filter.status === 'deactivated') return 0;
      const all = await countPeople(deps.db, filter, { cap: UNCAPPED, now });
      if (filter.status) return all.count;
      const deactivated = await countPeople(deps.db, { ...filter, status: 'deactivated' }, { cap: UNCAPPED, now });
      return all.count - deactivated.count;
    }

    /** People the filter selects who hold an active code right now. */
    async function countActiveCodes(filter: PeopleFilter): Promise<number> {
      if (filter.codeState && filter.codeState !== 'active') return 0;
      return (await countPeople(deps.db, { ...filter, codeState: 'active' }, { cap: UNCAPPED, now: deps.clock.now() })).count;
    }

    app.get('/admin/access-codes/issue', async (request, reply) => {
      const locale = pickLocale(request);
      const filter = filterFrom(queryOf(request));
      const [count, replacing] = await Promise.all([countIssuable(filter), countActiveCodes(filter)]);
      return page(request, reply, {
        title: label(locale, 'getAccessCodes'),
        body: (csrfToken) =>
          bulkIssuePage({ locale, csrfToken, filter, count, replacing: Math.min(replacing, count), batchMinutes: deps.config.batchMinutes, idempotencyKey: randomToken(18) }),
      });
    });

    app.post('/admin/access-codes/issue', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const filter = filterFrom(request.body);
      const key = formString(request.body, 'idempotencyKey');
      // The key was generated into the confirmation form: a double-click or a retried POST
      // returns the same batch instead of voiding codes that may already be printed.
      const idempotencyKey = /^[A-Za-z0-9_-]{16,100}$/.test(key) ? `web:${key}` : undefined;
      const { batch } = await issueAccessCodes(deps, { filter, actor: sessionOf(request).actor, ...(idempotencyKey ? { idempotencyKey } : {}) });
      return reply.header('Cache-Control', 'no-store').redirect(`/admin/batches/${batch.id}`, 303);
    });

    app.get('/admin/access-codes/deactivate', async (request, reply) => {
      const locale = pickLocale(request);
      const filter = filterFrom(queryOf(request));
      const count = await countActiveCodes(filter);
      return page(request, reply, { title: codesText(locale, 'bulkDeactivateTitle'), body: (csrfToken) => bulkDeactivatePage({ locale, csrfToken, filter, count }) });
    });

    app.post('/admin/access-codes/deactivate', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const filter = filterFrom(request.body);
      const count = await deactivateAccessCodes(deps, { filter, actor: sessionOf(request).actor });
      const params = filterParams(filter);
      params.set('done', 'codes-deactivated');
      params.set('n', String(count));
      return reply.redirect(`/admin/people?${params}`, 303);
    });

    async function batchOr404(request: FastifyRequest): Promise<Batch> {
      const batch = await getBatch(deps, idParam(request));
      if (!batch) throw new AppError('not_found');
      return batch;
    }

    app.get('/admin/batches/:id', async (request, reply) => {
      const locale = pickLocale(request);
      const batch = await batchOr404(request);
      let createdBy = batch.createdBy ?? '–';
      if (batch.createdBy && ID.test(batch.createdBy)) {
        const person = await getPerson(deps, batch.createdBy);
        if (person) createdBy = person.username ? `${person.name} (${person.username})` : person.name;
      }
      return page(request, reply, { title: codesText(locale, 'batchTitle'), body: () => batchPage({ locale, batch, createdBy, now: deps.clock.now() }) });
    });

    /** The batch's codes as a file; the codes leave the server only here (and in the API). */
    async function sendBatchFile(request: FastifyRequest, reply: FastifyReply, format: 'csv' | 'pdf'): Promise<FastifyReply> {
      const batch = await batchOr404(request);
      if (!batch.downloadable) throw new AppError('batch_expired');
      await recordAuditEvent(deps.db, { action: 'batch.downloaded', actor: sessionOf(request).actor, details: { batchId: batch.id, format }, at: deps.clock.now() });
      const items = readBatchCodes(deps, batch.id);
      const stamp = batch.createdAt.slice(0, 16).replace(/[:T]/g, '-');
      reply.header('Cache-Control', 'no-store');
      if (format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="keyslip-codes-${stamp}.csv"`).send(codesCsv(items));
      }
      return reply.type('application/pdf').header('Content-Disposition', `attachment; filename="keyslip-slips-${stamp}.pdf"`).send(codesPdf(deps, items, pickLocale(request)));
    }

    app.get('/admin/batches/:id/codes.csv', async (request, reply) => sendBatchFile(request, reply, 'csv'));
    app.get('/admin/batches/:id/slips.pdf', async (request, reply) => sendBatchFile(request, reply, 'pdf'));

    // -------------------------------------------------------------------------------------------
    // API tokens

    app.get('/admin/tokens', async (request, reply) => {
      const locale = pickLocale(request);
      const now = deps.clock.now();
      const tokens = await listApiTokens(deps.db, now);
      const done = text(queryOf(request).done, 40) === 'token-revoked';
      const body = (csrfToken: string): SafeHtml => tokensPage({ locale, csrfToken, tokens, now, done });
      return page(request, reply, { title: label(locale, 'apiTokens'), wide: true, body });
    });

    app.post('/admin/tokens/:id/revoke', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const options = { id: idParam(request), actor: sessionOf(request).actor, now: deps.clock.now() };
      const result = await revokeApiToken(deps.db, options);
      if (!result) throw new AppError('not_found');
      return reply.redirect('/admin/tokens?done=token-revoked', 303);
    });

    // -------------------------------------------------------------------------------------------
    // Audit log

    async function resolvePerson(value: string): Promise<string | null> {
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

    app.get('/admin/audit', async (request, reply) => {
      const locale = pickLocale(request);
      const query = queryOf(request);
      const values: AuditFilterValues = {
        person: text(query.person, 100) ?? '',
        actor: text(query.actor, 100) ?? '',
        action: text(query.action, 60) ?? '',
        from: text(query.from, 10) ?? '',
        to: text(query.to, 10) ?? '',
      };
      const errors: Partial<Record<keyof AuditFilterValues, string>> = {};
      const filter: AuditFilter = { limit: PAGE_SIZE };
      let impossible = false;
      if (values.person) {
        const id = await resolvePerson(values.person);
        if (id) filter.personId = id;
        else {
          errors.person = auditText(locale, 'unknownPerson');
          impossible = true;
        }
      }
      if (values.actor) {
        const id = await resolvePerson(values.actor);
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
      const ids = new Set<string>();
      for (const event of result.items) {
        if (event.personId) ids.add(event.personId);
        if (event.actor.id) ids.add(event.actor.id);
      }
      const people = new Map<string, { name: string; username: string | null }>();
      if (ids.size > 0) {
        const rows = await deps.db.selectFrom('people').select(['id', 'name', 'username']).where('id', 'in', [...ids]).execute();
        for (const row of rows) people.set(row.id, { name: row.name, username: row.username });
      }
      return page(request, reply, {
        title: label(locale, 'auditLog'),
        wide: true,
        body: () => auditPage({ locale, values, errors, events: result.items, people, nextCursor: result.nextCursor, paged: filter.cursor !== undefined }),
      });
    });
  };
}
