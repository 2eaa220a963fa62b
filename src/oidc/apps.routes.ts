// /admin/apps: the admin page Apps / Appar. Adding an app answers 303 to the app's page, which
// shows the secret once: it travels in an encrypted, HttpOnly, SameSite=Strict cookie scoped to
// that page and is cleared by the page that shows it (the same design as src/web/shown-code.ts),
// so a reload neither shows it again nor adds a second app.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { describeProblem, type FieldProblem } from '../problems.js';
import { currentSessionHashOf } from '../http/auth.js';
import { cookieName } from '../http/cookies.js';
import { csrfTokenForRequest, formString, verifyFormCsrf } from '../http/forms.js';
import { pickLocale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { renderPage, sendPage } from '../http/layout.js';
import { pageErrorHandler } from '../http/page-errors.js';
import { decrypt, encrypt } from '../lib/keyring.js';
import { ADMIN_SCRIPTS, ADMIN_STYLES, type FieldErrors } from '../web/admin.views.js';
import { createOidcClient, deleteOidcClient, getOidcClient, listOidcClients } from './oidc-clients.service.js';
import { appsBody, createdAppBody, EMPTY_APP_FORM, type AppFormValues } from './apps.views.js';

const SHOWN_SECRET_COOKIE = 'keyslip_shown_secret';
const SHOWN_SECRET_SECONDS = 120;

function lines(text: string): string[] {
  return text
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export function appsAdminRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.setErrorHandler(pageErrorHandler(deps));
    app.addHook('preHandler', async (request) => {
      const auth = request.auth;
      if (auth.via !== 'session') throw new AppError('unauthenticated');
      if (auth.person.role !== 'admin') throw new AppError('forbidden');
    });
    const secure = deps.config.baseUrl.startsWith('https://');

    async function sendApps(
      request: FastifyRequest,
      reply: FastifyReply,
      values: AppFormValues,
      errors: FieldErrors,
      status = 200,
    ): Promise<FastifyReply> {
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const query = request.query as { removed?: string } | undefined;
      const body = appsBody(locale, {
        apps: await listOidcClients(deps),
        issuer: deps.config.baseUrl,
        csrfToken,
        values,
        errors,
        removed: query?.removed === '1',
      });
      const page = renderPage({
        locale,
        title: labelText(locale, 'apps'),
        body,
        auth: request.auth,
        csrfToken,
        path: '/admin/apps',
        styles: [...ADMIN_STYLES],
        scripts: [...ADMIN_SCRIPTS],
        status,
      });
      return sendPage(reply, page, { noStore: true, status });
    }

    app.get('/admin/apps', async (request, reply) => sendApps(request, reply, EMPTY_APP_FORM, {}));

    app.post('/admin/apps', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const body = request.body;
      const values: AppFormValues = {
        name: formString(body, 'name').slice(0, 300),
        redirectUris: formString(body, 'redirectUris').slice(0, 50_000),
        postLogoutRedirectUris: formString(body, 'postLogoutRedirectUris').slice(0, 50_000),
        backchannelLogoutUri: formString(body, 'backchannelLogoutUri').trim().slice(0, 3000),
        syntheticEmailDomain: formString(body, 'syntheticEmailDomain').trim().slice(0, 300),
        launchUrl: formString(body, 'launchUrl').trim().slice(0, 3000),
        firstParty: formString(body, 'firstParty') === '1',
        public: formString(body, 'public') === '1',
      };
      try {
        const { client, clientSecret } = await createOidcClient(
          deps,
          {
            name: values.name,
            redirectUris: lines(values.redirectUris),
            postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
            backchannelLogoutUri: values.backchannelLogoutUri || null,
            syntheticEmailDomain: values.syntheticEmailDomain || null,
            launchUrl: values.launchUrl || null,
            firstParty: values.firstParty,
            public: values.public,
          },
          request.auth.actor,
        );
        if (clientSecret) {
          const sealed = JSON.stringify({ clientId: client.clientId, secret: clientSecret });
          const bound = { associatedData: `${currentSessionHashOf(request)} ${client.clientId}` };
          reply.setCookie(
            cookieName(deps.config, SHOWN_SECRET_COOKIE, { pathScoped: true }),
            encrypt(deps.keyring, 'shown client secret', sealed, bound),
            {
              path: `/admin/apps/${client.clientId}`,
              httpOnly: true,
              sameSite: 'strict',
              secure,
              maxAge: SHOWN_SECRET_SECONDS,
            },
          );
        }
        return reply.header('Cache-Control', 'no-store').redirect(`/admin/apps/${client.clientId}`, 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
        const errors: FieldErrors = {};
        for (const problem of error.options.fields ?? ([] as FieldProblem[]))
          errors[problem.field] = describeProblem(pickLocale(request), problem);
        return sendApps(request, reply, values, errors, 400);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/apps/:id', async (request, reply) => {
      const client = await getOidcClient(deps, request.params.id);
      const sealed = request.cookies[cookieName(deps.config, SHOWN_SECRET_COOKIE, { pathScoped: true })];
      const bound = { associatedData: `${currentSessionHashOf(request)} ${request.params.id}` };
      const opened = sealed ? decrypt(deps.keyring, 'shown client secret', sealed, bound) : null;
      const shown = opened ? (JSON.parse(opened) as { clientId: string; secret: string }) : null;
      const secret = shown && shown.clientId === client.clientId ? shown.secret : null;
      if (sealed)
        reply.clearCookie(cookieName(deps.config, SHOWN_SECRET_COOKIE, { pathScoped: true }), {
          path: `/admin/apps/${client.clientId}`,
        });
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const body = createdAppBody(locale, {
        app: client,
        secret,
        secretGone: !client.public && secret === null,
        issuer: deps.config.baseUrl,
      });
      const page = renderPage({
        locale,
        title: client.name,
        body,
        auth: request.auth,
        csrfToken,
        path: '/admin/apps',
        styles: [...ADMIN_STYLES],
        scripts: [...ADMIN_SCRIPTS],
      });
      return sendPage(reply, page, { noStore: true });
    });

    app.post<{ Params: { id: string } }>('/admin/apps/:id/delete', async (request, reply) => {
      verifyFormCsrf(deps, request);
      await deleteOidcClient(deps, request.params.id, request.auth.actor);
      return reply.header('Cache-Control', 'no-store').redirect('/admin/apps?removed=1', 303);
    });
  };
}
