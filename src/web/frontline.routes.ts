// Pages for everyone: /login, /help/login, /work/accesscode, the home page, sign-out, and the
// language switch; also the static assets under /assets/. Each handler reads top to bottom:
// parse → authorise → call the service → render. Forms POST, then redirect (POST-redirect-GET)
// once something changed, so a reload never repeats an action.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError, ERRORS } from '../errors.js';
import { clientOf } from '../http/client.js';
import { checkAccessCode, checkUsernameAvailable, redeemAccessCode } from '../access-codes/access-codes.service.js';
import { listAuditEvents, type AuditEvent } from '../audit/audit.js';
import { currentSessionHashOf } from '../http/auth.js';
import { registerAssets } from '../http/assets.js';
import { clearSessionCookie, cookieName, setSessionCookie } from '../http/cookies.js';
import { csrfTokenForRequest, formString, safeNextPath, verifyFormCsrf } from '../http/forms.js';
import { isLocale, LANG_COOKIE, pickLocale, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { renderPage, sendPage } from '../http/layout.js';
import { pageErrorHandler } from '../http/page-errors.js';
import { normaliseUsername } from '../people/person.js';
import { listPersonSessions } from '../sessions/sessions.store.js';
import { checkPassword, passwordProblemMessage } from '../sign-in/password.js';
import { signIn, signOut } from '../sign-in/sign-in.service.js';
import { listLaunchableApps, listOidcClientNames } from '../oidc/oidc-clients.store.js';
import { allowFormActionForInteraction } from '../oidc/interaction-csp.js';
import { changePassword } from '../sign-in/change-password.js';
import { requestAccessCode } from '../access-codes/code-requests.js';
import { INTERACTION_FIELD, interactionPath, interactionUidOf } from '../oidc/interaction-link.js';
import { frontlineText } from './frontline.messages.js';
import { ACCESS_CODE_PATH } from '../config.js';
import {
  accessCodeBody,
  accessCodeTitle,
  changePasswordBody,
  helpBody,
  homeBody,
  loginBody,
  malformedCodeMessage,
  type CodeStepView,
  type FormProblem,
  type LoginView,
} from './frontline.views.js';

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

function pathOf(request: FastifyRequest): string {
  return request.url.length > 2000 ? '/' : request.url;
}

function problemOf(error: AppError, locale: Locale): FormProblem {
  return {
    message: ERRORS[error.code][locale],
    ...(error.options.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.options.retryAfterSeconds } : {}),
  };
}

/** The last ten events worth telling the person; "claimed" repeats the redemption just above it. */
function shownEvents(items: AuditEvent[]): AuditEvent[] {
  return items.filter((event) => event.action !== 'person.claimed').slice(0, 10);
}

export function frontlineRoutes(deps: Deps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(pageErrorHandler(deps));
    await registerAssets(app);
    // A page of an app's sign-in may lead back to the app: its form-action names the app's origin.
    app.addHook('preHandler', async (request, reply) => {
      const query = request.query as Record<string, unknown> | undefined;
      const uid = interactionUidOf(query?.[INTERACTION_FIELD] ?? formString(request.body, INTERACTION_FIELD));
      if (uid) await allowFormActionForInteraction(deps, reply, uid);
    });

    // ---- language switch: /lang/sv?next=/login sets the cookie and goes back (same site only).
    app.get<{ Params: { locale: string }; Querystring: { next?: string } }>('/lang/:locale', async (request, reply) => {
      const next = safeNextPath(request.query.next);
      if (!isLocale(request.params.locale)) throw new AppError('not_found');
      reply.setCookie(cookieName(deps.config, LANG_COOKIE), request.params.locale, {
        path: '/',
        maxAge: ONE_YEAR_SECONDS,
        sameSite: 'lax',
        httpOnly: true,
        secure: deps.config.secureCookies,
      });
      return reply.header('Cache-Control', 'no-store').redirect(next, 303);
    });

    // ---- /login
    function sendLogin(
      request: FastifyRequest,
      reply: FastifyReply,
      view: Omit<LoginView, 'csrfToken'>,
      status = 200,
    ): FastifyReply {
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const page = renderPage({
        locale,
        title: labelText(locale, 'signIn'),
        body: loginBody(locale, { ...view, csrfToken }),
        auth: request.auth,
        csrfToken,
        path: pathOf(request),
        status,
      });
      return sendPage(reply, page, { noStore: true, status });
    }

    app.get<{ Querystring: { next?: string; signedout?: string; interaction?: string; login_hint?: string } }>(
      '/login',
      async (request, reply) => {
        const next = safeNextPath(request.query.next, '');
        // An app's sign-in (OpenID Connect) asks for the form even when signed in (prompt=login, max_age).
        const interaction = interactionUidOf(request.query.interaction);
        if (request.auth.via === 'session' && !interaction) return reply.redirect(next || '/', 303);
        const locale = pickLocale(request);
        const notice =
          request.query.signedout === 'all'
            ? frontlineText(locale, 'signedOutEverywhere')
            : request.query.signedout !== undefined
              ? frontlineText(locale, 'signedOut')
              : next || interaction
                ? frontlineText(locale, 'signInToContinue')
                : undefined;
        const hint =
          interaction && typeof request.query.login_hint === 'string'
            ? request.query.login_hint.slice(0, 300)
            : undefined;
        return sendLogin(request, reply, {
          ...(next ? { next } : {}),
          ...(notice ? { notice } : {}),
          ...(interaction ? { interaction } : {}),
          ...(hint ? { login: hint } : {}),
        });
      },
    );

    app.post('/login', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const login = formString(request.body, 'login').slice(0, 300);
      const password = formString(request.body, 'password').slice(0, 4096);
      const next = safeNextPath(formString(request.body, 'next'), '');
      const interaction = interactionUidOf(formString(request.body, INTERACTION_FIELD));
      const locale = pickLocale(request);
      try {
        const { session } = await signIn(deps, {
          login,
          password,
          client: clientOf(request),
          currentSessionHash: currentSessionHashOf(request),
        });
        setSessionCookie(reply, deps.config, session, deps.clock.now());
        return reply
          .header('Cache-Control', 'no-store')
          .redirect(interaction ? interactionPath(interaction) : next || '/', 303);
      } catch (error) {
        const shownOnForm = ['sign_in_failed', 'rate_limited', 'busy'];
        if (!(error instanceof AppError) || !shownOnForm.includes(error.code)) throw error;
        if (error.options.retryAfterSeconds !== undefined)
          reply.header('Retry-After', String(error.options.retryAfterSeconds));
        return sendLogin(
          request,
          reply,
          {
            login,
            ...(next ? { next } : {}),
            ...(interaction ? { interaction } : {}),
            // "Too many attempts." and the wait, not "wait a while" and then "wait 4 minutes".
            problem:
              error.code === 'rate_limited'
                ? { ...problemOf(error, locale), message: frontlineText(locale, 'tooManyAttempts') }
                : // A name typed instead of a username ("Anna Berg") can never be one: say so.
                  error.code === 'sign_in_failed' && /\s/.test(login.trim()) && !login.includes('@')
                  ? { ...problemOf(error, locale), detail: frontlineText(locale, 'loginHasSpace') }
                  : problemOf(error, locale),
          },
          error.status,
        );
      }
    });

    // ---- /help/login (the forgotten password first) and "Ask for a new code"
    function sendHelp(
      request: FastifyRequest,
      reply: FastifyReply,
      view: { asked?: boolean; problem?: FormProblem; login?: string },
      status = 200,
    ): FastifyReply {
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const body = helpBody(locale, { supportContact: deps.config.supportContact, csrfToken, ...view });
      return sendPage(
        reply,
        renderPage({
          locale,
          title: labelText(locale, 'troubleSigningIn'),
          body,
          auth: request.auth,
          csrfToken,
          path: view.asked ? '/help/login' : pathOf(request),
          status,
        }),
        { noStore: true, status },
      );
    }

    app.get<{ Querystring: { asked?: string } }>('/help/login', async (request, reply) =>
      sendHelp(request, reply, { asked: request.query.asked === '1' }),
    );

    app.post('/help/request-code', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const login = formString(request.body, 'login').slice(0, 300);
      try {
        await requestAccessCode(deps, { login, client: clientOf(request) });
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'rate_limited') throw error;
        const seconds = error.options.retryAfterSeconds ?? 60;
        reply.header('Retry-After', String(seconds));
        const message = frontlineText(pickLocale(request), 'askLimited', { minutes: Math.ceil(seconds / 60) });
        return sendHelp(request, reply, { login, problem: { message } }, 429);
      }
      // The same answer whether or not the account exists (POST-redirect-GET).
      return reply.header('Cache-Control', 'no-store').redirect('/help/login?asked=1#forgot', 303);
    });

    // ---- /account/password: a signed-in person changes their password
    function sendChangePassword(
      request: FastifyRequest,
      reply: FastifyReply,
      problem: FormProblem | undefined,
      status = 200,
    ): FastifyReply {
      const auth = request.auth;
      if (auth.via !== 'session') throw new AppError('unauthenticated');
      const locale = pickLocale(request);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const body = changePasswordBody(locale, {
        csrfToken,
        username: auth.person.username,
        ...(problem ? { problem } : {}),
      });
      return sendPage(
        reply,
        renderPage({
          locale,
          title: frontlineText(locale, 'changePasswordTitle'),
          body,
          auth,
          csrfToken,
          path: '/account/password',
          scripts: ['accesscode.js'],
          status,
        }),
        { noStore: true, status },
      );
    }

    app.get('/account/password', async (request, reply) => sendChangePassword(request, reply, undefined));

    app.post('/account/password', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const auth = request.auth;
      if (auth.via !== 'session') throw new AppError('unauthenticated');
      const locale = pickLocale(request);
      const current = formString(request.body, 'current').slice(0, 4096);
      const next = formString(request.body, 'password').slice(0, 4096);
      if (next !== formString(request.body, 'password2').slice(0, 4096))
        return sendChangePassword(request, reply, { message: frontlineText(locale, 'passwordsDiffer') }, 400);
      const problem = checkPassword(next, { username: auth.person.username });
      if (problem) return sendChangePassword(request, reply, { message: passwordProblemMessage(problem, locale) }, 400);
      try {
        const { session } = await changePassword(deps, {
          personId: auth.person.id,
          current,
          next,
          client: clientOf(request),
        });
        setSessionCookie(reply, deps.config, session, deps.clock.now());
        return reply.header('Cache-Control', 'no-store').redirect('/?changed=password', 303);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.options.retryAfterSeconds !== undefined)
          reply.header('Retry-After', String(error.options.retryAfterSeconds));
        if (['current_password_wrong', 'rate_limited', 'busy', 'weak_password'].includes(error.code))
          return sendChangePassword(request, reply, problemOf(error, locale), error.status);
        throw error;
      }
    });

    // ---- /work/accesscode
    function sendAccessCode(
      request: FastifyRequest,
      reply: FastifyReply,
      codeView: CodeStepView,
      status = 200,
    ): FastifyReply {
      const locale = pickLocale(request);
      // An app's sign-in in progress travels through every step, so redeeming returns to the app.
      const interaction = interactionOf(request);
      const view: CodeStepView = interaction ? { ...codeView, interaction } : codeView;
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const page = renderPage({
        locale,
        title: accessCodeTitle(locale, view),
        body: accessCodeBody(locale, csrfToken, view),
        auth: request.auth,
        csrfToken,
        // The language switch comes back to the page, never with anything secret in the URL.
        path: interaction ? `${ACCESS_CODE_PATH}?${INTERACTION_FIELD}=${interaction}` : ACCESS_CODE_PATH,
        scripts: ['accesscode.js'],
        status,
      });
      // The page may hold a code (in a hidden field): never stored by any cache.
      return sendPage(reply, page, { noStore: true, status });
    }

    /** Shows the code step again with the one uniform message (or the 429 wait). */
    function sendCodeProblem(
      request: FastifyRequest,
      reply: FastifyReply,
      error: AppError,
      code: string,
    ): FastifyReply {
      const locale = pickLocale(request);
      const seconds = error.options.retryAfterSeconds;
      if (seconds !== undefined) reply.header('Retry-After', String(seconds));
      // "Check the letters" first: most failures are typos, and the worker can fix those alone.
      const problem: FormProblem =
        error.code === 'code_malformed'
          ? { message: malformedCodeMessage(locale, code), detail: frontlineText(locale, 'codeCheckLetters') }
          : error.code === 'rate_limited'
            ? {
                message:
                  seconds !== undefined && seconds > 60
                    ? frontlineText(locale, 'codeRateLimitedMinutes', { minutes: Math.ceil(seconds / 60) })
                    : frontlineText(locale, 'codeRateLimitedMinute'),
              }
            : { message: frontlineText(locale, 'codeCheckLetters'), detail: frontlineText(locale, 'codeProblemHelp') };
      return sendAccessCode(request, reply, { step: 'code', code, problem }, error.status);
    }

    function isCodeProblem(error: unknown): error is AppError {
      return (
        error instanceof AppError &&
        (error.code === 'code_unusable' || error.code === 'code_malformed' || error.code === 'rate_limited')
      );
    }

    function interactionOf(request: FastifyRequest): string | null {
      const query = request.query as Record<string, unknown> | undefined;
      return interactionUidOf(
        request.method === 'GET' ? query?.[INTERACTION_FIELD] : formString(request.body, INTERACTION_FIELD),
      );
    }

    app.get('/work/accesscode', async (request, reply) => sendAccessCode(request, reply, { step: 'code' }));

    app.post('/work/accesscode', async (request, reply) => {
      verifyFormCsrf(deps, request);
      const locale = pickLocale(request);
      const step = formString(request.body, 'step');
      const code = formString(request.body, 'code').slice(0, 200);
      const username = formString(request.body, 'username').slice(0, 200);
      const client = clientOf(request);
      const apiCsrfToken = csrfTokenForRequest(deps, request, reply);

      try {
        if (step === 'check') {
          // Step 1 → 2: confirm the username (recovery) or choose one (claim without a username).
          const checked = await checkAccessCode(deps, { code, client });
          if (checked.username === null)
            return sendAccessCode(request, reply, {
              step: 'choose',
              code,
              apiCsrfToken,
              suggestions: checked.suggestions,
            });
          return sendAccessCode(request, reply, {
            step: 'confirm',
            code,
            username: checked.username,
            claim: checked.claim,
            name: checked.name,
          });
        }

        if (step === 'confirm') {
          const checked = await checkAccessCode(deps, { code, client });
          if (checked.username === null)
            return sendAccessCode(request, reply, {
              step: 'choose',
              code,
              apiCsrfToken,
              suggestions: checked.suggestions,
            });
          if (normaliseUsername(username) !== checked.username) {
            return sendAccessCode(
              request,
              reply,
              {
                step: 'confirm',
                code,
                username: checked.username,
                claim: checked.claim,
                name: checked.name,
                problem: { message: ERRORS.username_mismatch[locale] },
              },
              400,
            );
          }
          return sendAccessCode(request, reply, { step: 'password', code, username: checked.username });
        }

        if (step === 'choose') {
          const answer = await checkUsernameAvailable(deps, { code, username, client });
          const chosen = normaliseUsername(username);
          if (!answer.valid || chosen === null) {
            return sendAccessCode(
              request,
              reply,
              {
                step: 'choose',
                code,
                username,
                apiCsrfToken,
                suggestions: answer.suggestions,
                problem: { message: frontlineText(locale, 'usernameInvalid') },
              },
              400,
            );
          }
          if (!answer.available) {
            return sendAccessCode(
              request,
              reply,
              {
                step: 'choose',
                code,
                username,
                apiCsrfToken,
                suggestions: answer.suggestions,
                problem: { message: frontlineText(locale, 'usernameTaken', { username: chosen }) },
              },
              409,
            );
          }
          return sendAccessCode(request, reply, { step: 'password', code, username: chosen });
        }

        if (step === 'redeem') {
          return await redeem(request, reply, { locale, code, username, apiCsrfToken });
        }
      } catch (error) {
        if (isCodeProblem(error)) return sendCodeProblem(request, reply, error, code);
        throw error;
      }
      // An unknown step (an old or hand-made form): start again.
      return sendAccessCode(request, reply, { step: 'code' }, 400);
    });

    async function redeem(
      request: FastifyRequest,
      reply: FastifyReply,
      input: { locale: Locale; code: string; username: string; apiCsrfToken: string },
    ): Promise<FastifyReply> {
      const { locale, code, username, apiCsrfToken } = input;
      const password = formString(request.body, 'password').slice(0, 4096);
      const repeated = formString(request.body, 'password2').slice(0, 4096);
      const passwordStep = (problem: FormProblem, status: number): FastifyReply =>
        sendAccessCode(request, reply, { step: 'password', code, username, problem }, status);

      if (password !== repeated) return passwordStep({ message: frontlineText(locale, 'passwordsDiffer') }, 400);
      const problem = checkPassword(password, { username: normaliseUsername(username) ?? username });
      if (problem) return passwordStep({ message: passwordProblemMessage(problem, locale) }, 400);

      try {
        const redeemed = await redeemAccessCode(deps, {
          code,
          username,
          password,
          client: clientOf(request),
          currentSessionHash: currentSessionHashOf(request),
        });
        setSessionCookie(reply, deps.config, redeemed.session, deps.clock.now());
        const interaction = interactionOf(request);
        if (interaction) return reply.header('Cache-Control', 'no-store').redirect(interactionPath(interaction), 303);
        return reply
          .header('Cache-Control', 'no-store')
          .redirect(`/?welcome=${redeemed.claimed ? 'claimed' : 'recovered'}`, 303);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === 'username_taken') {
          return sendAccessCode(
            request,
            reply,
            {
              step: 'choose',
              code,
              username,
              apiCsrfToken,
              problem: { message: frontlineText(locale, 'usernameTaken', { username }) },
            },
            409,
          );
        }
        if (error.code === 'validation_failed') {
          return sendAccessCode(
            request,
            reply,
            {
              step: 'choose',
              code,
              username,
              apiCsrfToken,
              problem: { message: frontlineText(locale, 'usernameInvalid') },
            },
            400,
          );
        }
        if (error.code === 'username_mismatch')
          return sendAccessCode(
            request,
            reply,
            { step: 'code', problem: { message: ERRORS.username_mismatch[locale] } },
            400,
          );
        if (error.code === 'weak_password') return passwordStep({ message: ERRORS.weak_password[locale] }, 400);
        throw error;
      }
    }

    // ---- / (home)
    app.get<{ Querystring: { welcome?: string; changed?: string } }>('/', async (request, reply) => {
      const auth = request.auth;
      if (auth.via !== 'session') return reply.header('Cache-Control', 'no-store').redirect('/login', 303);
      const locale = pickLocale(request);
      const now = deps.clock.now();
      const [sessions, events, apps, appNames] = await Promise.all([
        listPersonSessions(deps.db, auth.person.id, now),
        listAuditEvents(deps.db, { personId: auth.person.id, limit: 12 }),
        listLaunchableApps(deps.db),
        listOidcClientNames(deps.db),
      ]);
      const csrfToken = csrfTokenForRequest(deps, request, reply);
      const welcome =
        request.query.welcome === 'claimed' || request.query.welcome === 'recovered' ? request.query.welcome : null;
      const body = homeBody(locale, {
        person: auth.person,
        currentSessionHash: auth.sessionIdHash,
        sessions,
        events: shownEvents(events.items),
        csrfToken,
        welcome,
        apps,
        appNames,
        passwordChanged: request.query.changed === 'password',
      });
      return sendPage(
        reply,
        renderPage({ locale, title: frontlineText(locale, 'homeTitle'), body, auth, csrfToken, path: pathOf(request) }),
        { noStore: true },
      );
    });

    // ---- sign out (here, or everywhere)
    async function logout(request: FastifyRequest, reply: FastifyReply, everywhere: boolean): Promise<FastifyReply> {
      verifyFormCsrf(deps, request);
      const auth = request.auth;
      if (auth.via === 'session') await signOut(deps, { idHash: auth.sessionIdHash, person: auth.person, everywhere });
      clearSessionCookie(reply, deps.config);
      return reply
        .header('Cache-Control', 'no-store')
        .redirect(everywhere ? '/login?signedout=all' : '/login?signedout=1', 303);
    }
    app.post('/logout', async (request, reply) => logout(request, reply, false));
    app.post('/logout-everywhere', async (request, reply) => logout(request, reply, true));
  };
}
