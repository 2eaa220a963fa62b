// Keyslip as an OpenID Provider, mounted in the Fastify app (SPEC §8):
// - oidc-provider's own endpoints (discovery, /oidc/auth, /oidc/token, /oidc/userinfo, /oidc/jwks,
//   /oidc/session/end …) are handed to its Node handler untouched: no body parser runs for them
//   (it parses its own bodies), and they carry their own CSP (its form_post page posts to the app).
// - the interaction (/oidc/interaction/:uid) is ours: it sends a person without a fitting session
//   to Keyslip's /login (and from there to "Have an access code?"), and comes back here to resume;
//   third-party apps get a consent page once, first-party apps are granted without asking.
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionDetails, InteractionResults } from 'oidc-provider';
import type { Deps } from '../deps.js';
import type { SignedInPerson } from '../people/person.js';
import { recordAuditEvent } from '../audit/audit.js';
import { AppError } from '../errors.js';
import { csrfTokenForRequest, formString, verifyFormCsrf } from '../http/forms.js';
import { LANG_COOKIE, pickLocale } from '../http/i18n.js';
import { renderPage, sendPage } from '../http/layout.js';
import { pageErrorHandler } from '../http/page-errors.js';
import { safeEqual } from '../lib/random.js';
import { findSessionByHash } from '../sessions/sessions.store.js';
import { CLIENT_AUTH_PATHS, clientAuthLimitOf } from './client-auth-limits.js';
import { findOidcClient } from './oidc-clients.store.js';
import { openOidcHost, type OidcHost } from './oidc.host.js';
import { oidcText } from './oidc.messages.js';
import { INTERACTION_PREFIX, OIDC_PREFIX } from './oidc.paths.js';
import { consentBody } from './oidc-pages.js';
import { allowFormActionTo, formActionSourceOf } from './interaction-csp.js';
import { interactionPath, loginPathFor } from './interaction-link.js';

/** oidc-provider protects its own endpoints (state, PKCE, its own anti-CSRF field on logout). */
const OIDC_ROUTE_CONFIG = { csrf: 'none', body: 'application/x-www-form-urlencoded' } as const;

/**
 * The CSP for oidc-provider's responses: as strict as the site's, except that forms may post to
 * the apps (form_post responses and the redirect after sign-out), and oidc-provider adds the hash
 * of its one inline script (the form_post auto-submit) to script-src itself.
 */
function oidcHelmet(secure: boolean) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secure,
    referrerPolicy: { policy: 'same-origin' as const },
  };
}

async function interactionDetailsOf(
  provider: Provider,
  request: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<InteractionDetails> {
  try {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (details.uid !== uid) throw new Error('uid mismatch');
    return details;
  } catch {
    // No interaction cookie, an expired interaction, or one of another browser.
    throw new AppError('oidc_interaction_expired');
  }
}

/**
 * When this browser was sent to /login for an interaction, in a cookie signed with a key derived
 * from KEYSLIP_SECRET: a Keyslip session made after that moment is a fresh sign-in (what
 * prompt=login and max_age ask for), one made before is not, however close in time.
 */
const SENT_TO_LOGIN_COOKIE = 'keyslip_oidc_login';

function sentToLoginSignature(key: Buffer, uid: string, at: number): string {
  return createHmac('sha256', key).update(`${uid}.${at}`).digest('base64url');
}

function setSentToLogin(deps: Deps, reply: FastifyReply, uid: string): void {
  const at = deps.clock.now();
  const value = `${at}.${sentToLoginSignature(deps.keyring.current.oidcCookie, uid, at)}`;
  reply.setCookie(SENT_TO_LOGIN_COOKIE, value, {
    path: interactionPath(uid),
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.baseUrl.startsWith('https://'),
  });
}

function sentToLoginAt(deps: Deps, request: FastifyRequest, uid: string): number | null {
  const [at, signature] = (request.cookies[SENT_TO_LOGIN_COOKIE] ?? '').split('.');
  const ms = Number(at);
  if (!signature || !Number.isSafeInteger(ms)) return null;
  const valid = deps.keyring.keys.some((key) => safeEqual(signature, sentToLoginSignature(key.oidcCookie, uid, ms)));
  return valid ? ms : null;
}

export function oidcRoutes(deps: Deps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // The provider is built by the first request that needs it (oidc.host.ts).
    const host: OidcHost = await openOidcHost(deps);
    const secure = deps.config.baseUrl.startsWith('https://');

    // ---- oidc-provider's endpoints, in a context of their own without body parsers.
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      const base = new URL(deps.config.baseUrl);
      const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
        const path = request.url.split('?')[0] ?? '';
        if (request.method === 'POST' && CLIENT_AUTH_PATHS.includes(path)) {
          const limit = await clientAuthLimitOf(deps, request.ip);
          if (limit.limited) {
            // The protocol's own error shape (RFC 6749 §5.2), with the wait the rest of Keyslip gives.
            return reply
              .status(429)
              .header('Retry-After', String(limit.retryAfterSeconds))
              .header('Cache-Control', 'no-store')
              .send({
                error: 'invalid_request',
                error_description: 'Too many failed client authentications from this address; try again later.',
              });
          }
        }
        const { callback } = await host.current();
        // oidc-provider names its endpoints after the request's origin: it must be the issuer's,
        // whatever Host a client sent, and the client address is the one Fastify worked out
        // (KEYSLIP_TRUST_PROXY). The provider trusts these headers because they are set here.
        const headers = request.raw.headers;
        headers.host = base.host;
        headers['x-forwarded-host'] = base.host;
        headers['x-forwarded-proto'] = base.protocol.slice(0, -1);
        headers['x-forwarded-for'] = request.ip;
        reply.hijack();
        callback(request.raw, reply.raw);
        return undefined;
      };
      for (const url of ['/.well-known/openid-configuration', `${OIDC_PREFIX}/*`]) {
        const common = { url, handler, helmet: oidcHelmet(secure), schema: { hide: true } };
        scope.route({ ...common, method: ['GET', 'OPTIONS'] });
        // Apps post forms (RFC 6749 §4.1.3); oidc-provider checks its own state on the browser
        // endpoints, so Keyslip's CSRF guard stays out of its way and cookies count for nothing here.
        scope.route({ ...common, method: 'POST', config: OIDC_ROUTE_CONFIG });
      }
    });

    // ---- /api/v1/oidc-clients (JSON, admins) and the admin page Apps / Appar.

    // ---- the interaction: our pages.
    await app.register(async (scope) => {
      scope.setErrorHandler(pageErrorHandler(deps));

      async function finish(
        request: FastifyRequest,
        reply: FastifyReply,
        provider: Provider,
        result: InteractionResults,
      ): Promise<FastifyReply> {
        // Merged with the earlier step's result: a consent given after a prompt=login sign-in keeps that sign-in.
        const url = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: true });
        return reply.header('Cache-Control', 'no-store').redirect(url, 303);
      }

      /** Grants what the app asked for (the missing scopes and claims), reusing the grant the interaction names. */
      async function grantFor(
        provider: Provider,
        details: InteractionDetails,
        accountId: string,
        clientId: string,
      ): Promise<string> {
        const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
        const grant = existing ?? new provider.Grant({ accountId, clientId });
        const missing = details.prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
          grant.addResourceScope(resource, scopes.join(' '));
        return grant.save();
      }

      /**
       * Whether the person's Keyslip session may answer this login prompt. A session made during
       * this interaction always may. Otherwise: not after prompt=login or an id_token_hint for
       * someone else (a fresh sign-in is asked for), and after max_age only if signed in recently enough.
       */
      async function sessionAnswersLogin(
        request: FastifyRequest,
        details: InteractionDetails,
      ): Promise<{ ts: number } | null> {
        if (request.auth.via !== 'session' || request.auth.person.status !== 'active') return null;
        const session = await findSessionByHash(deps.db, request.auth.sessionIdHash);
        if (!session) return null;
        const ts = Math.floor(session.created_at / 1000);
        const sentAt = sentToLoginAt(deps, request, details.uid);
        if (sentAt !== null && session.created_at >= sentAt) return { ts };
        const reasons = details.prompt.reasons;
        if (reasons.some((reason) => reason !== 'no_session' && reason !== 'max_age')) return null;
        if (reasons.includes('max_age')) {
          const maxAge = Number(details.params.max_age);
          if (!Number.isFinite(maxAge) || deps.clock.now() - session.created_at > maxAge * 1000) return null;
        }
        return { ts };
      }

      function sendToLogin(request: FastifyRequest, reply: FastifyReply, details: InteractionDetails): FastifyReply {
        // ui_locales: the first language Keyslip speaks becomes this browser session's language.
        const wanted = String(details.params.ui_locales ?? '')
          .split(/\s+/)
          .map((tag) => tag.toLowerCase().split('-')[0])
          .find((tag) => tag === 'en' || tag === 'sv');
        if (wanted && request.cookies[LANG_COOKIE] !== wanted) {
          reply.setCookie(LANG_COOKIE, wanted, { path: '/', sameSite: 'lax', httpOnly: true, secure });
        }
        setSentToLogin(deps, reply, details.uid);
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
        return reply.header('Cache-Control', 'no-store').redirect(loginPathFor(details.uid, hint), 303);
      }

      function sendConsent(
        request: FastifyRequest,
        reply: FastifyReply,
        details: InteractionDetails,
        appName: string,
      ): FastifyReply {
        const locale = pickLocale(request);
        const csrfToken = csrfTokenForRequest(deps, request, reply);
        const scopes = String(details.params.scope ?? '').split(' ');
        const body = consentBody(locale, { uid: details.uid, appName, scopes, csrfToken });
        const page = renderPage({
          locale,
          title: oidcText(locale, 'consentTitle', { app: appName }),
          body,
          auth: request.auth,
          csrfToken,
          path: interactionPath(details.uid),
        });
        return sendPage(reply, page, { noStore: true });
      }

      async function consent(
        request: FastifyRequest,
        reply: FastifyReply,
        provider: Provider,
        details: InteractionDetails,
        person: SignedInPerson,
      ): Promise<FastifyReply> {
        const clientId = String(details.params.client_id ?? '');
        const client = await findOidcClient(deps.db, clientId);
        if (!client) throw new AppError('oidc_interaction_expired');
        if (client.first_party !== 1) {
          const source = formActionSourceOf(details.params.redirect_uri);
          if (source) allowFormActionTo(reply, source);
          return sendConsent(request, reply, details, client.name);
        }
        const grantId = await grantFor(provider, details, person.id, clientId);
        return finish(request, reply, provider, { consent: { grantId } });
      }

      scope.get<{ Params: { uid: string } }>(`${INTERACTION_PREFIX}/:uid`, async (request, reply) => {
        const { provider } = await host.current();
        const details = await interactionDetailsOf(provider, request, reply, request.params.uid);
        const person = request.auth.via === 'session' ? request.auth.person : null;

        if (details.prompt.name === 'login') {
          const answered = await sessionAnswersLogin(request, details);
          if (!answered || !person) return sendToLogin(request, reply, details);
          return finish(request, reply, provider, { login: { accountId: person.id, ts: answered.ts, amr: ['pwd'] } });
        }

        if (details.prompt.name === 'consent') {
          if (!person) return sendToLogin(request, reply, details);
          // The Keyslip session now belongs to someone else: sign the app's session in as them first.
          if (details.session?.accountId !== person.id) {
            const answered = await sessionAnswersLogin(request, details);
            if (!answered) return sendToLogin(request, reply, details);
            return finish(request, reply, provider, { login: { accountId: person.id, ts: answered.ts, amr: ['pwd'] } });
          }
          return consent(request, reply, provider, details, person);
        }

        return finish(request, reply, provider, {
          error: 'interaction_required',
          error_description: 'Keyslip cannot complete this request.',
        });
      });

      scope.post<{ Params: { uid: string } }>(`${INTERACTION_PREFIX}/:uid/consent`, async (request, reply) => {
        verifyFormCsrf(deps, request);
        const { provider } = await host.current();
        const details = await interactionDetailsOf(provider, request, reply, request.params.uid);
        const person = request.auth.via === 'session' ? request.auth.person : null;
        if (details.prompt.name !== 'consent' || !person || details.session?.accountId !== person.id) {
          return reply.header('Cache-Control', 'no-store').redirect(interactionPath(details.uid), 303);
        }
        const clientId = String(details.params.client_id ?? '');
        if (formString(request.body, 'decision') !== 'allow') {
          return finish(request, reply, provider, {
            error: 'access_denied',
            error_description: 'The person did not allow the app.',
          });
        }
        const grantId = await grantFor(provider, details, person.id, clientId);
        await recordAuditEvent(deps.db, {
          action: 'oidc.consented',
          actor: request.auth.actor,
          personId: person.id,
          details: { clientId },
          at: deps.clock.now(),
        });
        return finish(request, reply, provider, { consent: { grantId } });
      });
    });
  };
}
