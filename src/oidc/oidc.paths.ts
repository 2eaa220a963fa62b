// Where the OpenID Provider's endpoints are. Apart from oidc.provider.ts so that the routes and
// the rate limits can name them without loading oidc-provider, which is loaded on first use.

/** Where oidc-provider's endpoints live; discovery (/.well-known/openid-configuration) names them all. */
export const OIDC_PREFIX = '/oidc';
export const INTERACTION_PREFIX = `${OIDC_PREFIX}/interaction`;

export const OIDC_ROUTES = {
  authorization: `${OIDC_PREFIX}/auth`,
  token: `${OIDC_PREFIX}/token`,
  userinfo: `${OIDC_PREFIX}/userinfo`,
  jwks: `${OIDC_PREFIX}/jwks`,
  end_session: `${OIDC_PREFIX}/session/end`,
  revocation: `${OIDC_PREFIX}/token/revocation`,
  introspection: `${OIDC_PREFIX}/token/introspection`,
  pushed_authorization_request: `${OIDC_PREFIX}/request`,
} as const;
