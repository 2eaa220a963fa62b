// oidc-provider, configured as SPEC §8 says: the tenant gets our storage (kyselyAdapter), our
// people (findAccount), our pages (interactions.url) and our keys (oidc_keys), and nothing else.
// Authorization code flow with PKCE S256 only; no implicit or hybrid flow; rotating refresh tokens.
import { areasManagedBy, areasOfPerson } from '../areas/areas.service.js';
import Provider, { type Grant, type KoaContextLike } from 'oidc-provider';
import type { Deps } from '../deps.js';
import type { PeopleTable } from '../db/schema.js';
import { findPersonById } from '../people/people.store.js';
import { safeEqual, sha256 } from '../lib/random.js';
import { kyselyAdapter } from './oidc.adapter.js';
import { INTERACTION_PREFIX, OIDC_ROUTES } from './oidc.paths.js';
import { findOidcClient, HASHED_SECRET_PREFIX } from './oidc-clients.store.js';
import type { LoadedKeys } from './oidc-keys.js';
import {
  localeOfKoa,
  renderLoggedOut,
  renderLogoutPrompt,
  renderOidcError,
  type KoaRequestLike,
} from './oidc-pages.js';

type KoaPageContext = KoaRequestLike & { body: string; type: string };

export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'keyslip'] as const;

/** Which claims each scope releases (SPEC §8). `sub` is always the person's id. */
export const OIDC_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  keyslip: ['employee_id', 'department', 'location', 'role', 'areas'],
} as const;

/** Lifetimes in seconds. Access tokens: KEYSLIP_OIDC_ACCESS_TOKEN_MINUTES. */
const TTL = {
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  Interaction: 60 * 60,
  Session: 14 * 24 * 60 * 60,
  Grant: 365 * 24 * 60 * 60,
  RefreshToken: 30 * 24 * 60 * 60,
};

/**
 * The claims of a person for one client. The email is the person's own when they have one;
 * otherwise, for a client with a synthetic-email domain (apps that fail without an email),
 * `username@domain`, never marked verified.
 */
export function claimsOf(
  person: PeopleTable,
  options: { syntheticEmailDomain: string | null; areas?: readonly string[] },
): Record<string, unknown> {
  const email =
    person.email !== null
      ? { email: person.email, email_verified: true }
      : options.syntheticEmailDomain !== null && person.username !== null
        ? { email: `${person.username}@${options.syntheticEmailDomain}`, email_verified: false }
        : {};
  return {
    sub: person.id,
    name: person.name,
    ...(person.username !== null ? { preferred_username: person.username } : {}),
    ...email,
    ...(person.employee_id !== null ? { employee_id: person.employee_id } : {}),
    ...(person.department !== null ? { department: person.department } : {}),
    ...(person.location !== null ? { location: person.location } : {}),
    role: person.role,
    // The names of the person's areas (SPEC §9), those they manage included; always a list.
    areas: options.areas ?? [],
  };
}

/**
 * A grant the person gave this client in an earlier OIDC session (consent is asked once per
 * client, then remembered), or oidc-provider's default: the grant of the current session.
 */
async function loadExistingGrant(deps: Deps, ctx: KoaContextLike): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const session = oidc.session;
  if (!clientId || !session) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? session.grantIdFor(clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  if (typeof session.accountId !== 'string') return undefined;
  const rows = await deps.db
    .selectFrom('oidc_payloads')
    .select(['id', 'payload'])
    .where('model', '=', 'Grant')
    .where('account_id', '=', session.accountId)
    .where('expires_at', '>', deps.clock.now())
    .orderBy('expires_at', 'desc')
    .limit(50)
    .execute();
  const earlier = rows.find((row) => (JSON.parse(row.payload) as { clientId?: unknown }).clientId === clientId);
  if (!earlier) return undefined;
  const grant = await oidc.provider.Grant.find(earlier.id);
  if (grant) session.grantIdFor(clientId, grant.jti);
  return grant;
}

export function createOidcProvider(deps: Deps, keys: LoadedKeys): Provider {
  const { config } = deps;
  const secure = config.baseUrl.startsWith('https://');
  const provider = new Provider(config.baseUrl, {
    adapter: kyselyAdapter(deps.db, deps.clock),
    clients: [],
    jwks: { keys: keys.jwks },
    cookies: {
      // Keys for oidc-provider's signed cookies: derived from KEYSLIP_SECRET, newest first.
      keys: deps.keyring.keys.map((key) => key.oidcCookie.toString('base64url')),
      long: { httpOnly: true, sameSite: 'lax', secure },
      short: { httpOnly: true, sameSite: 'lax', secure },
      names: { session: 'keyslip_oidc', interaction: 'keyslip_oidc_interaction', resume: 'keyslip_oidc_resume' },
    },
    routes: OIDC_ROUTES,
    scopes: [...OIDC_SCOPES],
    claims: Object.fromEntries(Object.entries(OIDC_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    responseTypes: ['code'],
    pkce: { required: () => true },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'ES256'],
    },
    // Client secrets are stored hashed; HMAC-signed tokens would need the plain secret.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    },
    rotateRefreshToken: true,
    conformIdTokenClaims: true,
    ttl: {
      ...TTL,
      AccessToken: config.oidcAccessTokenMinutes * 60,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaPageContext, form: string) => {
          ctx.body = renderLogoutPrompt(localeOfKoa(ctx), form);
        },
        postLogoutSuccessSource: async (ctx: KoaPageContext) => {
          ctx.body = renderLoggedOut(localeOfKoa(ctx));
        },
      },
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_PREFIX}/${interaction.uid}`,
    },
    renderError: async (ctx: KoaPageContext, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = renderOidcError(localeOfKoa(ctx), out);
    },
    loadExistingGrant: (ctx: KoaContextLike) => loadExistingGrant(deps, ctx),
    async findAccount(ctx: KoaContextLike, id: string) {
      const person = await findPersonById(deps.db, id);
      // Only an active person has an account: a deactivated one's tokens stop at the next use.
      if (person?.status !== 'active') return undefined;
      return {
        accountId: person.id,
        async claims() {
          const clientId = ctx.oidc.client?.clientId;
          const client = clientId ? await findOidcClient(deps.db, clientId) : null;
          const [member, managed] = await Promise.all([
            areasOfPerson(deps.db, person.id),
            areasManagedBy(deps.db, person.id),
          ]);
          const areas = [...new Set([...member, ...managed].map((area) => area.name))].sort();
          return claimsOf(person, { syntheticEmailDomain: client?.synthetic_email_domain ?? null, areas });
        },
      };
    },
  });
  // X-Forwarded-* reach oidc-provider only as oidc.routes.ts sets them (the issuer's origin and
  // the client address Fastify determined), never as a client sent them.
  provider.proxy = true;

  // The client_secret oidc-provider holds is `sha256:<hash>` (oidc_clients keeps no secret): hash
  // what the client sent and compare in constant time.
  provider.Client.prototype.compareClientSecret = function compareHashedSecret(
    this: { clientSecret?: string },
    actual: string,
  ) {
    const stored = this.clientSecret ?? '';
    if (!stored.startsWith(HASHED_SECRET_PREFIX) || typeof actual !== 'string') return false;
    return safeEqual(sha256(actual), stored.slice(HASHED_SECRET_PREFIX.length));
  };
  return provider;
}
