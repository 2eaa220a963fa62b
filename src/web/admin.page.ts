// What every admin page shares: the admin-only guard, the page frame, parsing of ids, filters,
// return paths and notices, and field errors in the admin's language. The page files
// (admin-people.pages.ts, admin-codes.pages.ts, admin-audit.pages.ts, admin-tokens.pages.ts)
// are tables of named handlers built on these.
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { csrfTokenForRequest, safeNextPath } from '../http/forms.js';
import { html, type SafeHtml } from '../http/html.js';
import { pickLocale, type Locale } from '../http/i18n.js';
import { renderPage, sendPage } from '../http/layout.js';
import type { Person } from '../people/person.js';
import { filterFromText } from '../people/people-query.js';
import { getPerson } from '../people/people.service.js';
import { describeProblem } from '../problems.js';
import { ADMIN_SCRIPTS, ADMIN_STYLES, type FieldErrors } from './admin.views.js';

/** One admin page route: method, path and a named handler that gets the app's deps. */
export interface AdminRoute {
  method: HTTPMethods;
  url: string;
  /** A page a manager may use too, narrowed to their areas by its handler (SPEC §9). */
  managers?: true;
  handler: (deps: Deps, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
}

export const PAGE_SIZE = 50;
/** Bulk confirmations count everyone: the admin must know exactly how many codes will be made. */
export const UNCAPPED = Number.MAX_SAFE_INTEGER - 1;
/** The header people.js sends to get only the results part of the People page. */
export const FRAGMENT_HEADER = 'x-keyslip-fragment';

export const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type SessionAuth = Extract<FastifyRequest['auth'], { via: 'session' }>;

export function sessionOf(request: FastifyRequest): SessionAuth {
  const auth = request.auth;
  if (auth.via !== 'session') throw new AppError('unauthenticated');
  return auth;
}

/**
 * preHandler: an admin's session, or a manager's on a page whose route says `managers: true`.
 * None → the page error handler sends GETs to /login; anyone else → 403.
 */
export async function requireAdminPage(request: FastifyRequest): Promise<void> {
  const auth = request.auth;
  if (auth.via !== 'session') throw new AppError('unauthenticated');
  if (auth.person.role === 'admin') return;
  if (auth.person.role === 'manager' && request.routeOptions.config.managers === true) return;
  throw new AppError('forbidden');
}

/** Whether the page is shown to a manager (narrowed) rather than an admin. */
export function isManager(request: FastifyRequest): boolean {
  return request.auth.via === 'session' && request.auth.person.role === 'manager';
}

/** Renders an admin page; every admin page is about people, so none is ever stored by a cache. */
export function page(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { title: string; body: (csrfToken: string, locale: Locale) => SafeHtml; status?: number; wide?: boolean },
): FastifyReply {
  const locale = pickLocale(request);
  const csrfToken = csrfTokenForRequest(deps, request, reply);
  // Always the wide frame, so the header (and its admin navigation) stays put from page to
  // page; pages without a table keep a readable measure inside it.
  const body = options.body(csrfToken, locale);
  const rendered = renderPage({
    locale,
    title: options.title,
    body: options.wide ? body : html`<div class="admin-narrow">${body}</div>`,
    auth: request.auth,
    csrfToken,
    path: request.url.length > 2000 ? '/admin/people' : request.url,
    ...(options.status !== undefined ? { status: options.status } : {}),
    scripts: ADMIN_SCRIPTS,
    styles: ADMIN_STYLES,
    wide: true,
  });
  const status = options.status !== undefined ? { status: options.status } : {};
  return sendPage(reply, rendered, { noStore: true, ...status });
}

// ---------------------------------------------------------------------------------------------
// Parsing

export function text(value: unknown, max = 200): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' || trimmed.length > max ? undefined : trimmed;
}

/** The People filter from a query string or a confirmation form: the one parser, in people-query.ts. */
export const filterFrom = filterFromText;

export function queryOf(request: FastifyRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}

export function idParam(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!ID.test(id)) throw new AppError('not_found');
  return id;
}

export async function personOr404(deps: Deps, id: string): Promise<Person> {
  const person = await getPerson(deps, id);
  if (!person) throw new AppError('not_found');
  return person;
}

/** Where to go back to: an admin page only, else the fallback. */
export function returnPath(value: unknown, fallback: string): string {
  const path = safeNextPath(typeof value === 'string' ? value : undefined, fallback);
  return path.startsWith('/admin/') ? path : fallback;
}

/** `path` with ?done=… (and n=…) set, for the notice after an action. */
export function withDone(path: string, done: string, n?: number): string {
  const url = new URL(path, 'http://keyslip.invalid');
  url.searchParams.set('done', done);
  if (n !== undefined) url.searchParams.set('n', String(n));
  else url.searchParams.delete('n');
  return `${url.pathname}${url.search}`;
}

export function countOf(value: unknown): number {
  const n = Number(text(value, 12));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** A refusal's field problems in the admin's language, one per field; null when it has none. */
export function fieldErrorsOf(locale: Locale, error: AppError): FieldErrors | null {
  const fields = error.options.fields;
  if (!fields || fields.length === 0) return null;
  const errors: FieldErrors = {};
  for (const problem of fields) errors[problem.field] ??= describeProblem(locale, problem);
  return errors;
}
