// A tiny relying party for Keyslip: "Sign in with Keyslip", show the claims, receive back-channel
// logouts. Start Keyslip (npm start) in one terminal and this (npm run example) in another, then
// open http://127.0.0.1:4000. On first start it registers itself with `keyslip clients create`
// (same configuration as the server) and keeps the client in examples/hello-app/.client.json.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.HELLO_PORT ?? 4000);
const SELF = `http://127.0.0.1:${PORT}`;
const ISSUER = (process.env.KEYSLIP_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const CLIENT_FILE = path.join(HERE, '.client.json');

function registeredClient() {
  if (fs.existsSync(CLIENT_FILE)) return JSON.parse(fs.readFileSync(CLIENT_FILE, 'utf8'));
  const out = execFileSync(
    process.execPath,
    [
      path.join(HERE, '../../bin/keyslip'),
      'clients',
      'create',
      '--name',
      'Hello app',
      '--redirect-uri',
      `${SELF}/callback`,
      '--post-logout-redirect-uri',
      `${SELF}/`,
      '--backchannel-logout-uri',
      `${SELF}/backchannel-logout`,
      '--synthetic-email-domain',
      'hello.example.org',
      '--first-party',
      '--json',
    ],
    { encoding: 'utf8' },
  );
  const { clientId, clientSecret } = JSON.parse(out);
  fs.writeFileSync(CLIENT_FILE, JSON.stringify({ clientId, clientSecret }), { mode: 0o600 });
  return { clientId, clientSecret };
}

const { clientId, clientSecret } = registeredClient();
const execute = ISSUER.startsWith('http://') ? [oidc.allowInsecureRequests] : [];
const config = await oidc.discovery(new URL(ISSUER), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), {
  execute,
});
const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));

/** Browser sessions of this app, in memory: id → { pending? , claims?, idToken?, sid?, endedBy? }. */
const sessions = new Map();

function sessionOf(request, response) {
  const id = /(?:^|;\s*)hello=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = randomBytes(16).toString('base64url');
  const session = {};
  sessions.set(fresh, session);
  response.setHeader('set-cookie', `hello=${fresh}; Path=/; HttpOnly; SameSite=Lax`);
  return session;
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (response, body) => {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  response.end(
    `<!doctype html><meta charset="utf-8"><title>Hello app</title><body style="font-family:sans-serif;max-width:40rem;margin:2rem auto">${body}</body>`,
  );
};

http
  .createServer(async (request, response) => {
    const url = new URL(request.url, SELF);
    try {
      if (url.pathname === '/backchannel-logout' && request.method === 'POST') {
        let body = '';
        for await (const chunk of request) body += chunk;
        const token = new URLSearchParams(body).get('logout_token') ?? '';
        const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: clientId, typ: 'logout+jwt' });
        if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'])
          throw new Error('not a logout token');
        for (const session of sessions.values()) {
          if (session.claims?.sub === payload.sub && (!payload.sid || payload.sid === session.sid)) {
            session.endedBy = 'Keyslip told this app (back-channel logout) that your access ended.';
            delete session.claims;
          }
        }
        response.writeHead(200, { 'cache-control': 'no-store' }).end();
        return;
      }
      const session = sessionOf(request, response);
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        session.pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${SELF}/callback`,
          scope: 'openid profile email keyslip',
          state: session.pending.state,
          nonce: session.pending.nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        response.writeHead(303, { location: target.href }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const pending = session.pending;
        delete session.pending;
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending?.verifier,
          expectedState: pending?.state,
          expectedNonce: pending?.nonce,
        });
        const idClaims = tokens.claims();
        session.claims = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        session.sid = idClaims.sid;
        session.idToken = tokens.id_token;
        delete session.endedBy;
        response.writeHead(303, { location: '/' }).end();
        return;
      }
      if (url.pathname === '/logout') {
        const target = oidc.buildEndSessionUrl(config, {
          id_token_hint: session.idToken ?? '',
          post_logout_redirect_uri: `${SELF}/`,
        });
        delete session.claims;
        response.writeHead(303, { location: target.href }).end();
        return;
      }
      if (session.claims) {
        page(
          response,
          `<h1>Hello, ${escapeHtml(session.claims.name)}</h1><p>Keyslip says:</p><pre>${escapeHtml(JSON.stringify(session.claims, null, 2))}</pre><p><a href="/logout">Sign out</a></p>`,
        );
      } else {
        page(
          response,
          `<h1>Hello app</h1>${session.endedBy ? `<p><strong>${escapeHtml(session.endedBy)}</strong></p>` : ''}<p><a href="/login">Sign in with Keyslip</a></p>`,
        );
      }
    } catch (error) {
      response
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`Sign-in failed: ${error.message}\n`);
    }
  })
  .listen(PORT, '127.0.0.1', () => process.stdout.write(`Hello app on ${SELF} (Keyslip at ${ISSUER})\n`));
