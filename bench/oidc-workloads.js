// The OpenID Connect workloads W11–W13, against a running server (`ctx`: { baseUrl, auth, seconds }):
// an app (first-party, confidential) registered through the API and one claimed account; then
// W11 the token endpoint exchanging authorization codes prepared beforehand, W12 userinfo against
// /healthz, W13 a whole sign-in as a browser makes it (authorize → /login → code → token).
import { createHash } from 'node:crypto';
import { load, request, requestJson, round, summarise } from './http.js';

const hr = () => process.hrtime.bigint();
const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;

/** Never contacted: the browser's last hop is read from the Location header. */
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
// One PKCE pair for every authorization of the run: each code is bound to the same challenge.
const VERIFIER = 'bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';

function challengeOf(verifier) {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** A browser: a cookie jar over the bench's keep-alive client, redirects followed by hand. */
class Browser {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.cookies = new Map();
  }

  async go(path, form) {
    const response = await request(this.baseUrl, {
      method: form ? 'POST' : 'GET',
      path,
      headers: {
        accept: 'text/html',
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: this.baseUrl } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const cookie of [response.headers['set-cookie'] ?? []].flat()) {
      const match = /^([^=]+)=([^;]*)/.exec(cookie);
      if (!match) continue;
      if (match[2] === '') this.cookies.delete(match[1]);
      else this.cookies.set(match[1], match[2]);
    }
    return response;
  }

  /** Follows redirects on Keyslip until a page (2xx/4xx) or the app's redirect URI. */
  async follow(path, form) {
    let response = await this.go(path, form);
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.location;
      if (response.status < 300 || response.status >= 400 || !location) return { response };
      if (location.startsWith(REDIRECT_URI)) return { response, callback: new URL(location) };
      const next = new URL(location, this.baseUrl);
      response = await this.go(next.pathname + next.search);
    }
    throw new Error('too many redirects');
  }
}

function authorizePath(app) {
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile',
    state: 'bench',
    code_challenge: challengeOf(VERIFIER),
    code_challenge_method: 'S256',
  });
  return `/oidc/auth?${query}`;
}

function codeOf(callback) {
  const code = callback?.searchParams.get('code');
  if (!code) throw new Error(`no code at the app: ${callback?.href ?? 'did not return to the app'}`);
  return code;
}

function field(page, name) {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no ${name} field on the page: ${page.slice(0, 300)}`);
  return match[1];
}

/** authorize → /login → signed in → back at the app with a code; times each part. */
async function signIn(browser, app, user) {
  const started = hr();
  const toLogin = await browser.follow(authorizePath(app));
  if (toLogin.callback) return { code: codeOf(toLogin.callback), toLoginMs: msSince(started), loginMs: 0 };
  const page = toLogin.response.text;
  const toLoginMs = msSince(started);
  const loginStarted = hr();
  const back = await browser.follow('/login', {
    _csrf: field(page, '_csrf'),
    interaction: field(page, 'interaction'),
    login: user.username,
    password: user.password,
  });
  return { code: codeOf(back.callback), toLoginMs, loginMs: msSince(loginStarted) };
}

function tokenRequest(app, code) {
  return {
    method: 'POST',
    path: '/oidc/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    }).toString(),
  };
}

async function exchange(ctx, app, code) {
  const response = await request(ctx.baseUrl, tokenRequest(app, code));
  if (response.status !== 200)
    throw new Error(`token exchange failed: ${response.status} ${response.text.slice(0, 300)}`);
  return { ...JSON.parse(response.text), ms: response.ms };
}

/** The app (first-party, confidential, through the API) and one account claimed with a code. */
export async function prepareOidc(ctx, { entry }) {
  const created = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/oidc-clients',
    headers: { authorization: ctx.auth },
    json: { name: 'Bench app', redirectUris: [REDIRECT_URI], firstParty: true },
  });
  if (created.status !== 201) throw new Error(`registering the app failed: ${created.status} ${created.text}`);
  const user = { username: entry.username ?? 'bench.oidc.user', password: 'saffron quay lantern nine q' };
  const redeemed = await requestJson(ctx.baseUrl, {
    method: 'POST',
    path: '/api/v1/access-code/redeem',
    json: { code: entry.code, username: user.username, password: user.password },
  });
  if (redeemed.status !== 200) throw new Error(`redeem failed: ${redeemed.status} ${redeemed.text.slice(0, 300)}`);
  return { app: { clientId: created.json.client.clientId, secret: created.json.clientSecret }, user };
}

/**
 * W11: authorization codes per second through the token endpoint. The codes are made first, by a
 * signed-in browser authorizing again and again (no page: the app is first-party and the grant
 * exists), then exchanged by `connections` workers, each code once (a code lives 60 s).
 */
export async function runTokenExchange(ctx, { app, user, codes: count, connections }) {
  const browser = new Browser(ctx.baseUrl);
  await exchange(ctx, app, (await signIn(browser, app, user)).code);
  const path = authorizePath(app);
  const codes = [];
  const prepareStarted = hr();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (codes.length < count) {
        const { callback } = await browser.follow(path);
        codes.push(codeOf(callback));
      }
    }),
  );
  const prepareSeconds = round(msSince(prepareStarted) / 1000);
  const statusCounts = {};
  const latencies = [];
  const queue = codes.slice(0, count);
  const started = hr();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let code = queue.pop(); code !== undefined; code = queue.pop()) {
        const response = await request(ctx.baseUrl, tokenRequest(app, code));
        statusCounts[response.status] = (statusCounts[response.status] ?? 0) + 1;
        latencies.push(response.ms);
      }
    }),
  );
  const seconds = msSince(started) / 1000;
  return {
    exchangesPerSecond: round((statusCounts['200'] ?? 0) / seconds, 1),
    codes: count,
    seconds: round(seconds, 2),
    prepareSeconds,
    connections,
    statusCounts,
    latencyMs: summarise(latencies),
  };
}

/** W12: userinfo with one access token, against /healthz, both at `connections` connections. */
export async function runUserinfo(ctx, { app, user, connections }) {
  const browser = new Browser(ctx.baseUrl);
  const tokens = await exchange(ctx, app, (await signIn(browser, app, user)).code);
  const health = await load({ url: `${ctx.baseUrl}/healthz`, connections, duration: ctx.seconds });
  const userinfo = await load({
    url: `${ctx.baseUrl}/oidc/userinfo`,
    connections,
    duration: ctx.seconds,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  return {
    ratio: round(userinfo.requestsPerSecond / health.requestsPerSecond, 3),
    userinfoPerSecond: userinfo.requestsPerSecond,
    healthzPerSecond: health.requestsPerSecond,
    userinfo,
    health,
  };
}

/**
 * W13: a whole sign-in, one after another, each by a new browser: authorize → the /login page →
 * the password posted (Argon2id) → back at the app with a code → the code exchanged for tokens.
 */
export async function runOidcSignIn(ctx, { app, user, rounds }) {
  const totals = [];
  const parts = { toLogin: [], login: [], token: [] };
  for (let i = 0; i < rounds; i++) {
    const started = hr();
    const browser = new Browser(ctx.baseUrl);
    const signedIn = await signIn(browser, app, user);
    const tokens = await exchange(ctx, app, signedIn.code);
    if (!tokens.id_token) throw new Error('no ID token');
    totals.push(msSince(started));
    parts.toLogin.push(signedIn.toLoginMs);
    parts.login.push(signedIn.loginMs);
    parts.token.push(tokens.ms);
  }
  return {
    ...summarise(totals),
    rounds,
    // authorize → the /login page; the password posted → back at the app; the code → tokens.
    toLoginMs: summarise(parts.toLogin),
    loginMs: summarise(parts.login),
    tokenMs: summarise(parts.token),
  };
}
