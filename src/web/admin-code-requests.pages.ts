// The two-person rule's pages (SPEC §9): the open requests for admin codes, one request with
// approve / decline (another admin) or "get the code" (the admin who asked, once). Admins only.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import {
  approveAdminCodeRequest,
  collectAdminCode,
  declineAdminCodeRequest,
  getAdminCodeRequest,
  listOpenAdminCodeRequests,
} from '../access-codes/admin-code-requests.js';
import { verifyFormCsrf } from '../http/forms.js';
import { pickLocale } from '../http/i18n.js';
import { requestPage, requestsListPage, requestsText } from './admin-code-requests.views.js';
import { idParam, page, queryOf, sessionOf, text, type AdminRoute } from './admin.page.js';
import { putShownCode } from './shown-code.js';

export const ADMIN_CODE_REQUEST_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', url: '/admin/code-requests', handler: listRequests },
  { method: 'GET', url: '/admin/code-requests/:id', handler: showRequest },
  { method: 'POST', url: '/admin/code-requests/:id/approve', handler: approveRequest },
  { method: 'POST', url: '/admin/code-requests/:id/decline', handler: declineRequest },
  { method: 'POST', url: '/admin/code-requests/:id/code', handler: collectCode },
];

async function listRequests(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const requests = await listOpenAdminCodeRequests(deps);
  const selfId = sessionOf(request).person.id;
  return page(deps, request, reply, {
    title: requestsText(locale, 'requestsTitle'),
    wide: true,
    body: () => requestsListPage({ locale, requests, selfId }),
  });
}

async function showRequest(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const locale = pickLocale(request);
  const found = await getAdminCodeRequest(deps, idParam(request));
  if (!found) throw new AppError('not_found');
  const done = text(queryOf(request).done, 20);
  const notice =
    done === 'requested'
      ? requestsText(locale, 'doneRequested')
      : done === 'approved'
        ? requestsText(locale, 'doneApproved')
        : done === 'declined'
          ? requestsText(locale, 'doneDeclined')
          : null;
  const selfId = sessionOf(request).person.id;
  return page(deps, request, reply, {
    title: requestsText(locale, 'requestTitle', { name: found.person.name }),
    body: (csrfToken) => requestPage({ locale, csrfToken, request: found, selfId, done: notice }),
  });
}

async function approveRequest(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const id = idParam(request);
  await approveAdminCodeRequest(deps, { id, actor: sessionOf(request).actor });
  return reply.redirect(`/admin/code-requests/${id}?done=approved`, 303);
}

async function declineRequest(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const id = idParam(request);
  await declineAdminCodeRequest(deps, { id, actor: sessionOf(request).actor });
  return reply.redirect(`/admin/code-requests/${id}?done=declined`, 303);
}

/** The admin who asked collects the code: made now, shown once on the usual "shown" page. */
async function collectCode(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  verifyFormCsrf(deps, request);
  const auth = sessionOf(request);
  const { issued } = await collectAdminCode(deps, { id: idParam(request), actor: auth.actor });
  const personId = issued.person.id;
  putShownCode(deps, reply, auth.sessionIdHash, { personId, code: issued.code, expiresAt: issued.expiresAt });
  reply.header('Cache-Control', 'no-store');
  const back = encodeURIComponent(`/admin/people/${personId}`);
  return reply.redirect(`/admin/people/${personId}/access-code/shown?return=${back}`, 303);
}
