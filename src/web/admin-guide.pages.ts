// Guided next steps (admin-guide.views.ts): "Start over for this person" (confirm → one
// transaction → the new code shown once), hiding the first admin's checklist, and the reads the
// People and batch pages use for the checklist and a batch's recipients.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { listBatchRecipients } from '../access-codes/batch-recipients.js';
import { maxLifetimeMs } from '../access-codes/access-codes.service.js';
import { planStartOver, startOver } from '../accounts/start-over.js';
import { cookieName } from '../http/cookies.js';
import { formString, verifyFormCsrf } from '../http/forms.js';
import { pickLocale } from '../http/i18n.js';
import { HOUR } from '../lib/clock.js';
import { findPersonById } from '../people/people.store.js';
import { guideText, startOverPage, type FirstRunState } from './admin-guide.views.js';
import { idParam, page, personOr404, sessionOf, type AdminRoute } from './admin.page.js';
import { putShownCode } from './shown-code.js';

export const ADMIN_GUIDE_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/people/:id/start-over', handler: confirmStartOver },
  { method: 'POST', url: '/admin/people/:id/start-over', handler: startOverNow },
  { method: 'POST', url: '/admin/guide/dismiss', handler: dismissChecklist },
];

/** The checklist shows while the directory holds fewer people than this (a new installation). */
export const FIRST_RUN_PEOPLE = 100;
const GUIDE_COOKIE = 'keyslip_guide_hidden';
/** Recipients listed on a batch page (the files hold them all). */
export const BATCH_PAGE_RECIPIENTS = 500;

/** Starting over is an admin's act (a manager's scope does not include it). */
function requireAdminRole(request: FastifyRequest): void {
  if (sessionOf(request).person.role !== 'admin') throw new AppError('forbidden');
}

async function confirmStartOver(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  requireAdminRole(request);
  const locale = pickLocale(request);
  const person = await personOr404(deps, idParam(request));
  if (person.status === 'deactivated') throw new AppError('person_deactivated');
  const row = await findPersonById(deps.db, person.id);
  if (!row) throw new AppError('not_found');
  const plan = await planStartOver(deps.db, row);
  const self = person.id === sessionOf(request).person.id;
  const maxLifetime = maxLifetimeMs(deps, { status: plan.undo === 'claim' ? 'unclaimed' : person.status });
  return page(deps, request, reply, {
    title: guideText(locale, 'startOverTitle', { name: person.name }),
    body: (csrfToken) => startOverPage({ locale, csrfToken, person, plan, self, maxLifetimeMs: maxLifetime }),
  });
}

async function startOverNow(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  requireAdminRole(request);
  const auth = sessionOf(request);
  const id = idParam(request);
  const person = await personOr404(deps, id);
  const hours = Number(formString(request.body, 'lifetimeHours'));
  const row = await findPersonById(deps.db, id);
  const plan = row ? await planStartOver(deps.db, row) : null;
  const max = maxLifetimeMs(deps, { status: plan?.undo === 'claim' ? 'unclaimed' : person.status });
  const lifetimeHours = Number.isInteger(hours) && hours > 0 && hours * HOUR !== max ? hours : undefined;
  const done = await startOver(deps, { personId: id, actor: auth.actor, ...(lifetimeHours ? { lifetimeHours } : {}) });
  putShownCode(deps, reply, auth.sessionIdHash, { personId: id, code: done.code.code, expiresAt: done.code.expiresAt });
  const back = `/admin/people/${id}?done=started-over`;
  reply.header('Cache-Control', 'no-store');
  return reply.redirect(`/admin/people/${id}/access-code/shown?return=${encodeURIComponent(back)}`, 303);
}

async function dismissChecklist(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  reply.setCookie(cookieName(deps.config, GUIDE_COOKIE), '1', {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.secureCookies,
    maxAge: 365 * 24 * 3600,
  });
  return reply.redirect('/admin/people', 303);
}

/**
 * The first admin's checklist for the People page: null when it was hidden, when every step is
 * done, or when the directory is no longer new (FIRST_RUN_PEOPLE people or more).
 */
export async function firstRunStateFor(deps: Deps, request: FastifyRequest): Promise<FirstRunState | null> {
  if (request.cookies[cookieName(deps.config, GUIDE_COOKIE)] === '1') return null;
  const db = deps.db;
  const people = await db.selectFrom('people').select(['role', 'status']).limit(FIRST_RUN_PEOPLE).execute();
  if (people.length >= FIRST_RUN_PEOPLE) return null;
  const [app, batch] = await Promise.all([
    db.selectFrom('oidc_clients').select('client_id').limit(1).executeTakeFirst(),
    db.selectFrom('batches').select('id').limit(1).executeTakeFirst(),
  ]);
  const state: FirstRunState = {
    people: people.some((person) => person.role !== 'admin'),
    secondAdmin: people.filter((person) => person.role === 'admin' && person.status !== 'deactivated').length >= 2,
    app: app !== undefined,
    codes: batch !== undefined,
  };
  return state.people && state.secondAdmin && state.app && state.codes ? null : state;
}

/** A batch's recipients for its page. */
export async function batchRecipientsFor(deps: Deps, batchId: string) {
  return listBatchRecipients(deps.db, batchId, { limit: BATCH_PAGE_RECIPIENTS, now: deps.clock.now() });
}
