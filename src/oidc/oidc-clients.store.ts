// The registered apps (OpenID Connect clients): SQL only. A confidential client's secret is kept
// as SHA-256 only; oidc-provider is handed that hash as `client_secret` and compares through
// compareClientSecret (see oidc.provider.ts), so the secret itself exists only in the app.
import type { Db } from '../db/database.js';
import type { OidcClientsTable } from '../db/schema.js';

/** Prefix that marks the client_secret handed to oidc-provider as a hash, not a secret. */
export const HASHED_SECRET_PREFIX = 'sha256:';

export interface OidcClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  firstParty: boolean;
  public: boolean;
  syntheticEmailDomain: string | null;
  launchUrl: string | null;
  createdAt: string;
}

function parseList(json: string): string[] {
  const value = JSON.parse(json) as unknown;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function toOidcClient(row: OidcClientsTable): OidcClient {
  return {
    clientId: row.client_id,
    name: row.name,
    redirectUris: parseList(row.redirect_uris),
    postLogoutRedirectUris: parseList(row.post_logout_redirect_uris),
    backchannelLogoutUri: row.backchannel_logout_uri,
    firstParty: row.first_party === 1,
    public: row.public === 1,
    syntheticEmailDomain: row.synthetic_email_domain,
    launchUrl: row.launch_url,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** True when every redirect URI is a web address; otherwise the client is a native app (RFC 8252). */
export function isWebClient(redirectUris: readonly string[]): boolean {
  return redirectUris.every((uri) => uri.startsWith('https://') || uri.startsWith('http://'));
}

/** Client metadata as oidc-provider reads it (RFC 7591 names). */
export function toClientMetadata(row: OidcClientsTable): Record<string, unknown> {
  const redirectUris = parseList(row.redirect_uris);
  return {
    client_id: row.client_id,
    client_name: row.name,
    application_type: isWebClient(redirectUris) ? 'web' : 'native',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: parseList(row.post_logout_redirect_uris),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: row.public === 1 ? 'none' : 'client_secret_basic',
    ...(row.secret_hash !== null ? { client_secret: `${HASHED_SECRET_PREFIX}${row.secret_hash}` } : {}),
    ...(row.backchannel_logout_uri !== null
      ? { backchannel_logout_uri: row.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    id_token_signed_response_alg: 'RS256',
  };
}

export async function findOidcClient(db: Db, clientId: string): Promise<OidcClientsTable | null> {
  if (clientId.length > 200) return null;
  return (await db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst()) ?? null;
}

export async function listOidcClientRows(db: Db): Promise<OidcClientsTable[]> {
  return db.selectFrom('oidc_clients').selectAll().orderBy('name').orderBy('client_id').execute();
}

/** An app people can open from Keyslip: one with a launch URL. */
export interface LaunchableApp {
  name: string;
  launchUrl: string;
}

/** The apps shown as buttons on the home page and after a claim or recovery (SPEC §4), by name. */
export async function listLaunchableApps(db: Db): Promise<LaunchableApp[]> {
  const rows = await db
    .selectFrom('oidc_clients')
    .select(['name', 'launch_url'])
    .where('launch_url', 'is not', null)
    .orderBy('name')
    .orderBy('client_id')
    .execute();
  return rows.flatMap((row) => (row.launch_url === null ? [] : [{ name: row.name, launchUrl: row.launch_url }]));
}

/** Every registered app's name by client id, to name apps in a person's own account history. */
export async function listOidcClientNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('oidc_clients').select(['client_id', 'name']).execute();
  return new Map(rows.map((row) => [row.client_id, row.name]));
}

export async function insertOidcClient(db: Db, row: OidcClientsTable): Promise<void> {
  await db.insertInto('oidc_clients').values(row).execute();
}

export async function deleteOidcClientRow(db: Db, clientId: string): Promise<number> {
  const result = await db.deleteFrom('oidc_clients').where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
