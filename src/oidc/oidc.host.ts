// Holds the running oidc-provider. Its signing keys are fixed when it is built, so when another
// instance (or `keyslip keys rotate`) changes oidc_keys, a new provider is built with the new set.
// The check is one small query, at most every KEYSLIP_OIDC_KEY_CHECK_SECONDS (default 30), on OIDC
// requests only; the request that makes the check waits for it, so it already uses the new keys.
//
// The first signing keys are made at start-up (one small query once they exist), but the provider
// is built by the first OIDC request: loading oidc-provider (with Koa, jose …) takes a third of a
// second of CPU, which a server that is starting should spend answering, and which a server no app
// signs in through never needs to spend. It is not built in the background either, where it would
// hold up whatever requests came at that moment.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Deps } from '../deps.js';
import { addSigningKeys, ensureSigningKeys, loadSigningKeys, NoUsableSigningKeyError } from './oidc-keys.js';
import { recordAuditEvent } from '../audit/audit.js';
import { recordClientAuthFailure } from './client-auth-limits.js';
import { findPersonById } from '../people/people.store.js';
import { sha256 } from '../lib/random.js';
import { SESSION_COOKIE } from '../sessions/session.js';
import { deleteSession } from '../sessions/sessions.store.js';

export interface OidcHost {
  /** The provider with the current keys (built on first use, rebuilt after a rotation). */
  current(): Promise<{ provider: Provider; callback: (req: IncomingMessage, res: ServerResponse) => void }>;
}

interface Built {
  provider: Provider;
  callback: (req: IncomingMessage, res: ServerResponse) => void;
  fingerprint: string;
}

interface EndSessionContext {
  oidc: { params?: { logout?: unknown } };
  cookies: {
    get(name: string, options: { signed: boolean }): string | undefined;
    set(name: string, value: null, options: Record<string, unknown>): void;
  };
}

function listenToProvider(deps: Deps, provider: Provider): void {
  // One audit entry each time an app receives a sign-in (an authorization code) for a person.
  provider.on('authorization.success', ((ctx: {
    oidc: { client?: { clientId: string }; session?: { accountId?: string } };
  }) => {
    const clientId = ctx.oidc.client?.clientId;
    const personId = ctx.oidc.session?.accountId;
    if (!clientId || !personId) return;
    const now = deps.clock.now();
    findPersonById(deps.db, personId)
      .then((person) =>
        recordAuditEvent(deps.db, {
          action: 'oidc.signed_in',
          actor: { kind: 'person', id: personId, label: person?.username ?? person?.name ?? personId },
          personId,
          details: { clientId },
          at: now,
        }),
      )
      .catch((error: unknown) =>
        deps.log.warn({ err: { message: (error as Error).message } }, 'could not audit an app sign-in'),
      );
  }) as (...args: never[]) => void);
  // RP-initiated logout with "Yes, sign me out" ends the Keyslip session too: it is the same
  // sign-in, seen from the apps. ("No" only ends the app's part, as the protocol says.)
  provider.on('end_session.success', ((ctx: EndSessionContext) => {
    if (!ctx.oidc.params?.logout) return;
    const token = ctx.cookies.get(SESSION_COOKIE, { signed: false });
    const secure = deps.config.baseUrl.startsWith('https://');
    ctx.cookies.set(SESSION_COOKIE, null, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      overwrite: true,
      signed: false,
    });
    if (!token || token.length > 100) return;
    deleteSession(deps.db, sha256(token)).catch((error: unknown) =>
      deps.log.warn(
        { err: { message: (error as Error).message } },
        'could not end the Keyslip session at an app sign-out',
      ),
    );
  }) as (...args: never[]) => void);
  // Failed client authentications count towards the address's limit (client-auth-limits.ts).
  for (const event of ['grant.error', 'revocation.error', 'introspection.error']) {
    provider.on(event, ((ctx: { ip?: string }, error: { error?: string }) => {
      if (error.error !== 'invalid_client') return;
      recordClientAuthFailure(deps, ctx.ip ?? null).catch((failure: unknown) =>
        deps.log.warn(
          { err: { message: (failure as Error).message } },
          'could not count a failed client authentication',
        ),
      );
    }) as (...args: never[]) => void);
  }
  provider.on('server_error', ((_ctx: unknown, error: Error) => {
    deps.log.error({ err: { message: error.message } }, 'oidc-provider server error');
  }) as (...args: never[]) => void);
}

export async function openOidcHost(deps: Deps): Promise<OidcHost> {
  await ensureSigningKeys(deps.db, deps.keyring, deps.clock.now());
  /**
   * The keys this instance can sign with. When its secret opens none of the stored ones, a pair it
   * can open is added (and said so): at start, so that back-channel logout notices, which this
   * instance signs without the provider, are signed from the first one on.
   */
  async function usableKeys() {
    return loadSigningKeys(deps.db, deps.keyring, deps.clock.now()).catch(async (error: unknown) => {
      if (!(error instanceof NoUsableSigningKeyError)) throw error;
      deps.log.warn(
        {},
        `ATTENTION: ${error.message} A new signing key pair was added; tokens signed before no longer verify here.`,
      );
      await addSigningKeys(deps.db, deps.keyring, deps.clock.now());
      return loadSigningKeys(deps.db, deps.keyring, deps.clock.now());
    });
  }
  await usableKeys();
  async function build(): Promise<Built> {
    const { createOidcProvider } = await import('./oidc.provider.js');
    const keys = await usableKeys();
    const provider = createOidcProvider(deps, keys);
    listenToProvider(deps, provider);
    return { provider, callback: provider.callback(), fingerprint: keys.fingerprint };
  }
  const checkIntervalMs = deps.config.oidcKeyCheckSeconds * 1000;
  let built: Built | null = null;
  let firstBuild: Promise<Built> | null = null;
  let checkedAt = 0;
  let checking: Promise<void> | null = null;

  /** The first build, shared by every request that comes while it runs; forgotten if it fails. */
  function buildFirst(): Promise<Built> {
    firstBuild ??= (async () => {
      const first = await build();
      built = first;
      checkedAt = Date.now();
      return first;
    })().catch((error: unknown) => {
      firstBuild = null;
      throw error;
    });
    return firstBuild;
  }

  async function refreshIfRotated(current: Built): Promise<void> {
    const keys = await loadSigningKeys(deps.db, deps.keyring, deps.clock.now());
    if (keys.fingerprint !== current.fingerprint) built = await build();
  }

  return {
    async current() {
      if (!built) return buildFirst();
      // Wall time, not deps.clock: this is a cache interval, not a rule of the domain.
      if (Date.now() - checkedAt >= checkIntervalMs && !checking) {
        checkedAt = Date.now();
        checking = refreshIfRotated(built)
          .catch((error: unknown) =>
            deps.log.warn({ err: { message: (error as Error).message } }, 'could not reload OIDC signing keys'),
          )
          .finally(() => {
            checking = null;
          });
        await checking;
      }
      return built;
    },
  };
}
