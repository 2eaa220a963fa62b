// Registering and removing apps: the input rules (exact redirect URIs, no fragments, loopback
// only for http in native apps) and the audit entry, in one transaction with the write.
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { describeProblem, type FieldProblem, type ProblemCode } from '../problems.js';
import { AppError } from '../errors.js';
import { randomToken, sha256 } from '../lib/random.js';
import {
  deleteOidcClientRow,
  findOidcClient,
  insertOidcClient,
  isWebClient,
  listOidcClientRows,
  toOidcClient,
  type OidcClient,
} from './oidc-clients.store.js';

export interface OidcClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  firstParty?: boolean;
  public?: boolean;
  syntheticEmailDomain?: string | null;
  launchUrl?: string | null;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:']);

function invalid(field: string, code: ProblemCode, params?: Record<string, string>): AppError {
  const problem: FieldProblem = { field, code, ...(params ? { params } : {}) };
  return new AppError('validation_failed', {
    message: `${field} ${describeProblem('en', problem)}.`,
    fields: [problem],
  });
}

function checkUri(field: string, uri: string, options: { web: boolean }): void {
  if (uri.length > 2000) throw invalid(field, 'app_uri_too_long');
  const parsed = URL.parse(uri);
  if (!parsed || uri.includes('#')) throw invalid(field, 'app_uri_invalid');
  if (FORBIDDEN_SCHEMES.has(parsed.protocol))
    throw invalid(field, 'app_uri_scheme_forbidden', { scheme: parsed.protocol });
  // A web app's redirect goes over https, except on the developer's own machine.
  if (options.web && parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw invalid(field, 'app_uri_https');
  }
  if (!options.web && parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw invalid(field, 'app_uri_native_loopback');
  }
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Validates and normalises the input; throws validation_failed naming the field. */
export function checkOidcClientInput(input: OidcClientInput): Required<OidcClientInput> {
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw invalid('name', 'app_name_length');
  if (input.redirectUris.length === 0 || input.redirectUris.length > 20)
    throw invalid('redirectUris', 'app_redirect_count');
  const web = isWebClient(input.redirectUris);
  if (!web && input.public !== true) throw invalid('redirectUris', 'app_custom_scheme_public');
  for (const uri of input.redirectUris) checkUri('redirectUris', uri, { web });
  const postLogout = input.postLogoutRedirectUris ?? [];
  if (postLogout.length > 20) throw invalid('postLogoutRedirectUris', 'app_post_logout_count');
  for (const uri of postLogout) checkUri('postLogoutRedirectUris', uri, { web });
  const backchannel = input.backchannelLogoutUri ?? null;
  if (backchannel !== null) checkUri('backchannelLogoutUri', backchannel, { web: true });
  const launchUrl = input.launchUrl ?? null;
  if (launchUrl !== null) checkUri('launchUrl', launchUrl, { web: true });
  const domain = input.syntheticEmailDomain?.trim().toLowerCase() || null;
  if (domain !== null && !DOMAIN.test(domain)) throw invalid('syntheticEmailDomain', 'app_domain_invalid');
  return {
    name,
    redirectUris: [...new Set(input.redirectUris)],
    postLogoutRedirectUris: [...new Set(postLogout)],
    backchannelLogoutUri: backchannel,
    firstParty: input.firstParty === true,
    public: input.public === true,
    syntheticEmailDomain: domain,
    launchUrl,
  };
}

export interface CreatedOidcClient {
  client: OidcClient;
  /** Shown once; null for a public client. */
  clientSecret: string | null;
}

export async function createOidcClient(deps: Deps, input: OidcClientInput, actor: Actor): Promise<CreatedOidcClient> {
  const checked = checkOidcClientInput(input);
  const now = deps.clock.now();
  // The id is not secret, but unguessable ids cost nothing: 128 bits, in hex so that it never starts
  // with '-' (an admin passes it to `keyslip clients delete`, which would read it as an option).
  // The secret is a password: 256 bits.
  const clientId = randomBytes(16).toString('hex');
  const clientSecret = checked.public ? null : randomToken(32);
  const row = {
    client_id: clientId,
    name: checked.name,
    // SHA-256 suffices: the secret has 256 bits of entropy, so the hash cannot be guessed back.
    secret_hash: clientSecret === null ? null : sha256(clientSecret),
    redirect_uris: JSON.stringify(checked.redirectUris),
    post_logout_redirect_uris: JSON.stringify(checked.postLogoutRedirectUris),
    backchannel_logout_uri: checked.backchannelLogoutUri,
    first_party: checked.firstParty ? 1 : 0,
    public: checked.public ? 1 : 0,
    synthetic_email_domain: checked.syntheticEmailDomain,
    launch_url: checked.launchUrl,
    created_at: now,
    created_by: actor.id,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertOidcClient(trx, row);
    await recordAuditEvent(trx, {
      action: 'oidc.client_created',
      actor,
      details: { clientId, name: checked.name, public: checked.public, firstParty: checked.firstParty },
      at: now,
    });
  });
  return { client: toOidcClient(row), clientSecret };
}

export async function listOidcClients(deps: Deps): Promise<OidcClient[]> {
  return (await listOidcClientRows(deps.db)).map(toOidcClient);
}

export async function getOidcClient(deps: Deps, clientId: string): Promise<OidcClient> {
  const row = await findOidcClient(deps.db, clientId);
  if (!row) throw new AppError('not_found', { message: 'No such app.' });
  return toOidcClient(row);
}

/**
 * Removes an app. Its tokens stop working at once: oidc-provider looks the client up on every
 * token, refresh and userinfo request, and finds none.
 */
export async function deleteOidcClient(deps: Deps, clientId: string, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await findOidcClient(trx, clientId);
    if (!row) throw new AppError('not_found', { message: 'No such app.' });
    await deleteOidcClientRow(trx, clientId);
    await recordAuditEvent(trx, {
      action: 'oidc.client_deleted',
      actor,
      details: { clientId, name: row.name },
      at: now,
    });
  });
}
