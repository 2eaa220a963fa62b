// The admin's access-code pages (SPEC §5): one person's code (issue → shown once, deactivate),
// codes for a group (confirmation → batch page → CSV/PDF) and deactivating a group's codes.
// A table of routes, then one named handler per route.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getArea } from '../areas/areas.service.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { recordAuditEvent } from '../audit/audit.js';
import { deactivateAccessCode, issueAccessCode, maxLifetimeMs } from '../access-codes/access-codes.service.js';
import { codesCsv, codesPdf } from '../access-codes/batch-files.js';
import {
  deactivateAccessCodes,
  getBatch,
  issuableFilter,
  issueAccessCodes,
  readBatchCodePages,
  type Batch,
} from '../access-codes/batches.service.js';
import { readBatchSlips } from '../access-codes/batch-slips.js';
import { slipQrPng } from '../access-codes/slips.pdf.js';
import { requestAdminCode, twoPersonRuleOn } from '../access-codes/admin-code-requests.js';
import { authorizeBatch, authorizeTarget, codeQuotaOf, managerBulkOf } from '../http/scope.js';
import { requestsText } from './admin-code-requests.views.js';
import { formString, verifyFormCsrf } from '../http/forms.js';
import { pickLocale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { HOUR } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import { getPerson } from '../people/people.service.js';
import { countPeople, type PeopleFilter } from '../people/people.store.js';
import {
  batchPage,
  bulkDeactivatePage,
  bulkIssuePage,
  codeGonePage,
  codesText,
  deactivateCodePage,
  issueCodePage,
  shownCodePage,
} from './admin-codes.views.js';
import { filterParams } from './admin.views.js';
import {
  filterFrom,
  ID,
  idParam,
  isManager,
  page,
  personOr404,
  queryOf,
  returnPath,
  sessionOf,
  UNCAPPED,
  withDone,
  type AdminRoute,
} from './admin.page.js';
import { putShownCode, takeShownCode } from './shown-code.js';
import { batchRecipientsFor } from './admin-guide.pages.js';
import { batchRecipients, guideText } from './admin-guide.views.js';

export const ADMIN_CODES_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/people/:id/access-code', handler: confirmIssueCode, managers: true },
  { method: 'POST', url: '/admin/people/:id/access-code', handler: issueCode, managers: true },
  { method: 'GET', url: '/admin/people/:id/access-code/shown', handler: showIssuedCode, managers: true },
  { method: 'GET', url: '/admin/people/:id/access-code/deactivate', handler: confirmDeactivateCode, managers: true },
  { method: 'POST', url: '/admin/people/:id/access-code/deactivate', handler: deactivateCode, managers: true },
  { method: 'GET', url: '/admin/access-codes/issue', handler: confirmBulkIssue, managers: true },
  { method: 'POST', url: '/admin/access-codes/issue', handler: bulkIssue, managers: true },
  { method: 'GET', url: '/admin/access-codes/deactivate', handler: confirmBulkDeactivate },
  { method: 'POST', url: '/admin/access-codes/deactivate', handler: bulkDeactivate },
  { method: 'GET', url: '/admin/batches/:id', handler: showBatch, managers: true },
  { method: 'GET', url: '/admin/batches/:id/codes.csv', handler: sendCodesCsv, managers: true },
  { method: 'GET', url: '/admin/batches/:id/slips.pdf', handler: sendSlipsPdf, managers: true },
];

// ---------------------------------------------------------------------------------------------
// One person's access code

async function confirmIssueCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const target = await authorizeTarget(deps, request, idParam(request), 'act');
  const person = await personOr404(deps, target.person.id);
  if (person.status === 'deactivated') throw new AppError('person_deactivated');
  const returnTo = returnPath(queryOf(request).return, `/admin/people/${person.id}`);
  const maxLifetime = maxLifetimeMs(deps, person);
  const ask =
    person.role === 'admin' && (await twoPersonRuleOn(deps.db))
      ? { askApproval: { note: requestsText(locale, 'askNote'), button: requestsText(locale, 'ask') } }
      : {};
  return page(deps, request, reply, {
    title: labelText(locale, 'getAccessCode'),
    body: (csrfToken) => issueCodePage({ locale, csrfToken, person, returnTo, maxLifetimeMs: maxLifetime, ...ask }),
  });
}

async function issueCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const auth = sessionOf(request);
  const id = idParam(request);
  const target = await authorizeTarget(deps, request, id, 'act');
  const person = await personOr404(deps, id);
  const returnTo = returnPath(formString(request.body, 'return'), `/admin/people/${id}`);
  const hours = Number(formString(request.body, 'lifetimeHours'));
  // The longest lifetime is the default; anything else is checked by the service (1 h … max).
  const lifetimeHours = hours > 0 && hours * HOUR !== maxLifetimeMs(deps, person) ? hours : undefined;
  const lifetime = lifetimeHours ? { lifetimeHours } : {};
  if (person.role === 'admin' && (await twoPersonRuleOn(deps.db))) {
    const asked = await requestAdminCode(deps, { personId: id, actor: auth.actor, ...lifetime });
    return reply.redirect(`/admin/code-requests/${asked.id}?done=requested`, 303);
  }
  const quota = codeQuotaOf(deps, request);
  const issued = await issueAccessCode(deps, {
    personId: id,
    actor: auth.actor,
    areaId: target.areaId,
    ...(quota ? { quota } : {}),
    ...lifetime,
  });
  putShownCode(deps, reply, auth.sessionIdHash, { personId: id, code: issued.code, expiresAt: issued.expiresAt });
  reply.header('Cache-Control', 'no-store');
  return reply.redirect(`/admin/people/${id}/access-code/shown?return=${encodeURIComponent(returnTo)}`, 303);
}

async function showIssuedCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const auth = sessionOf(request);
  const id = idParam(request);
  await authorizeTarget(deps, request, id, 'view');
  const person = await personOr404(deps, id);
  const returnTo = returnPath(queryOf(request).return, `/admin/people/${id}`);
  const shown = takeShownCode(deps, request, reply, auth.sessionIdHash, id);
  if (!shown) {
    const body = () => codeGonePage({ locale, person, returnTo });
    return page(deps, request, reply, { title: codesText(locale, 'goneTitle'), body });
  }
  const accessCodeUrl = `${deps.config.baseUrl}/work/accesscode`;
  const { code, expiresAt } = shown;
  const slip = { name: person.name, username: person.username, code, expiresAt };
  const qr = await slipQrPng(slip, { locale, accessCodeUrl });
  const qrDataUrl = `data:image/png;base64,${qr.toString('base64')}`;
  return page(deps, request, reply, {
    title: codesText(locale, 'shownTitle', { name: person.name }),
    body: () => shownCodePage({ locale, person, code, expiresAt, accessCodeUrl, qrDataUrl, returnTo }),
  });
}

async function confirmDeactivateCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const target = await authorizeTarget(deps, request, idParam(request), 'act');
  const person = await personOr404(deps, target.person.id);
  const returnTo = returnPath(queryOf(request).return, `/admin/people/${person.id}`);
  return page(deps, request, reply, {
    title: labelText(locale, 'deactivateAccessCode'),
    body: (csrfToken) => deactivateCodePage({ locale, csrfToken, person, returnTo }),
  });
}

async function deactivateCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const id = idParam(request);
  const target = await authorizeTarget(deps, request, id, 'act');
  const returnTo = returnPath(formString(request.body, 'return'), `/admin/people/${id}`);
  const actor = sessionOf(request).actor;
  const result = await deactivateAccessCode(deps, { personId: id, actor, areaId: target.areaId });
  return reply.redirect(result === null ? returnTo : withDone(returnTo, 'code-deactivated'), 303);
}

// ---------------------------------------------------------------------------------------------
// Codes for a group

/** The names a filter's summary shows for what it holds by id (the area). */
async function filterNames(deps: Deps, filter: PeopleFilter): Promise<{ area?: string }> {
  const area = filter.area ? await getArea(deps.db, filter.area) : null;
  return area ? { area: area.name } : {};
}

async function confirmBulkIssue(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const asked = filterFrom(queryOf(request));
  // Whom the batch would reach: never admins; for a manager, their areas' members without email.
  const manager = await managerBulkOf(deps, request, asked);
  const filter = issuableFilter(asked, manager);
  const [count, replacing] = await Promise.all([countIssuable(deps, filter), countActiveCodes(deps, filter)]);
  const notes = [requestsText(locale, 'bulkNoAdmins'), ...(manager ? [requestsText(locale, 'managerBulk')] : [])];
  const model = {
    filter: asked,
    count,
    replacing: Math.min(replacing, count),
    batchMinutes: deps.config.batchMinutes,
    notes,
  };
  // "Get access codes" from the People menu: say in the title what it covers.
  const keys = Object.keys(asked);
  const everyone = keys.length === 1 && asked.hasEmail === false;
  const note = everyone ? { note: guideText(locale, 'confirmEveryoneWithoutEmail') } : {};
  const names = await filterNames(deps, asked);
  return page(deps, request, reply, {
    title: labelText(locale, 'getAccessCodes'),
    body: (csrfToken) =>
      bulkIssuePage({ locale, csrfToken, ...model, ...note, names, idempotencyKey: randomToken(18) }),
  });
}

async function bulkIssue(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const filter = filterFrom(request.body);
  const key = formString(request.body, 'idempotencyKey');
  // The key was generated into the confirmation form: a double-click or a retried POST
  // returns the same batch instead of voiding codes that may already be printed.
  const idempotencyKey = /^[A-Za-z0-9_-]{16,100}$/.test(key) ? `web:${key}` : undefined;
  const actor = sessionOf(request).actor;
  const manager = await managerBulkOf(deps, request, filter);
  const { batch } = await issueAccessCodes(deps, {
    filter,
    actor,
    ...(manager ? { manager } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  return reply.header('Cache-Control', 'no-store').redirect(`/admin/batches/${batch.id}`, 303);
}

async function confirmBulkDeactivate(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const filter = filterFrom(queryOf(request));
  const count = await countActiveCodes(deps, filter);
  const names = await filterNames(deps, filter);
  return page(deps, request, reply, {
    title: codesText(locale, 'bulkDeactivateTitle'),
    body: (csrfToken) => bulkDeactivatePage({ locale, csrfToken, filter, count, names }),
  });
}

async function bulkDeactivate(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const filter = filterFrom(request.body);
  const count = await deactivateAccessCodes(deps, { filter, actor: sessionOf(request).actor });
  const params = filterParams(filter);
  params.set('done', 'codes-deactivated');
  params.set('n', String(count));
  return reply.redirect(`/admin/people?${params}`, 303);
}

async function showBatch(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const batch = await batchOr404(deps, request);
  let createdBy = batch.createdBy ?? '–';
  if (batch.createdBy && ID.test(batch.createdBy)) {
    const person = await getPerson(deps, batch.createdBy);
    if (person) createdBy = person.username ? `${person.name} (${person.username})` : person.name;
  }
  const now = deps.clock.now();
  const recipients = batchRecipients(locale, await batchRecipientsFor(deps, batch.id));
  const body = () => batchPage({ locale, batch, createdBy, now, recipients });
  return page(deps, request, reply, { title: codesText(locale, 'batchTitle'), body });
}

async function sendCodesCsv(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendBatchFile(deps, request, reply, 'csv');
}

async function sendSlipsPdf(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return sendBatchFile(deps, request, reply, 'pdf');
}

/** The batch's codes as a file; the codes leave the server only here (and in the API). */
async function sendBatchFile(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  format: 'csv' | 'pdf',
): Promise<FastifyReply> {
  const batch = await batchOr404(deps, request);
  if (!batch.downloadable) throw new AppError('batch_expired');
  const actor = sessionOf(request).actor;
  const details = { batchId: batch.id, format };
  const at = deps.clock.now();
  // A manager's batch was made for their areas: each area's log shows the download.
  const areas = isManager(request) ? (batch.filter.withinAreas ?? []) : [null];
  for (const areaId of areas)
    await recordAuditEvent(deps.db, { action: 'batch.downloaded', actor, areaId, details, at });
  const stamp = batch.createdAt.slice(0, 16).replace(/[:T]/g, '-');
  reply.header('Cache-Control', 'no-store');
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="keyslip-codes-${stamp}.csv"`)
      .send(codesCsv(readBatchCodePages(deps, batch.id)));
  }
  return (
    reply
      .type('application/pdf')
      .header('Content-Disposition', `attachment; filename="keyslip-slips-${stamp}.pdf"`)
      // Slips in hand-out order (store, department, surname), a new page for each store, as the
      // API's and the CLI's.
      .send(codesPdf(deps, readBatchSlips(deps, batch.id, pickLocale(request)), pickLocale(request)))
  );
}

// ---------------------------------------------------------------------------------------------
// Helpers of these pages

async function batchOr404(deps: Deps, request: FastifyRequest): Promise<Batch> {
  const batch = await getBatch(deps, idParam(request));
  if (!batch) throw new AppError('not_found');
  await authorizeBatch(deps, request, batch);
  return batch;
}

/** People the filter selects who would get a code (issueAccessCodes leaves out the deactivated). */
async function countIssuable(deps: Deps, filter: PeopleFilter): Promise<number> {
  const now = deps.clock.now();
  if (filter.status === 'deactivated') return 0;
  const all = await countPeople(deps.db, filter, { cap: UNCAPPED, now });
  if (filter.status) return all.count;
  const deactivated = await countPeople(deps.db, { ...filter, status: 'deactivated' }, { cap: UNCAPPED, now });
  return all.count - deactivated.count;
}

/** People the filter selects who hold an active code right now. */
async function countActiveCodes(deps: Deps, filter: PeopleFilter): Promise<number> {
  if (filter.codeState && filter.codeState !== 'active') return 0;
  const now = deps.clock.now();
  return (await countPeople(deps.db, { ...filter, codeState: 'active' }, { cap: UNCAPPED, now })).count;
}
