// API tokens: `ks_` + 256 random bits, shown once; the database keeps only the SHA-256. A token is
// of one kind: 'admin' (the API under /api/v1) or 'scim' (only SCIM provisioning under /scim/v2,
// SPEC §10); each kind is resolved only where it belongs, so neither stands in for the other.
// Each token has an owner (the admin who made it, or 'cli'), a name and an expiry; it can be
// revoked. An expired or revoked token authenticates as nothing. Making and revoking a token are
// audited, with the token's id and name, never the token.
import type { Db } from '../db/database.js';
import { everyColumn, prepared } from '../db/prepared.js';
import type { ApiTokenKind, ApiTokensTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { describeProblem, type FieldProblem } from '../problems.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { DAY, MINUTE } from '../lib/clock.js';
import { newId } from '../lib/id.js';
import { randomToken, sha256 } from '../lib/random.js';

/** Lifetimes in days: 90 unless asked, at most a year, so no token is forgotten for ever. */
export const API_TOKEN_DAYS = { default: 90, min: 1, max: 365 } as const;
export const API_TOKEN_NAME_MAX = 100;
/** last_used_at is written at most this often per token: a token used in a loop costs no write per request. */
const LAST_USED_EVERY_MS = MINUTE;

/** A token as listed: never the token itself or its hash. */
export interface ApiToken {
  id: string;
  name: string;
  kind: ApiTokenKind;
  owner: { id: string | null; label: string };
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Whether it authenticates now: not revoked, not expired, its admin (if any) still an admin. */
  active: boolean;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toApiToken(row: ApiTokensTable, now: number, options: { ownerStillAdmin: boolean }): ApiToken {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    owner: { id: row.created_by, label: row.owner_label },
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    active: apiTokenUsable(row, now) && (row.created_by === null || options.ownerStillAdmin),
  };
}

/** Whether the token would authenticate at `now`. */
export function apiTokenUsable(token: Pick<ApiTokensTable, 'expires_at' | 'revoked_at'>, now: number): boolean {
  return token.revoked_at === null && token.expires_at !== null && now < token.expires_at;
}

/**
 * Makes a token for an admin (a person) or the CLI. A token cannot make another token: a leaked
 * one could otherwise outlive its own revocation through the tokens it made.
 */
export async function createApiToken(
  db: Db,
  options: { name: string; actor: Actor; now: number; expiresInDays?: number; kind?: ApiTokenKind },
): Promise<{ token: string; apiToken: ApiToken }> {
  if (options.actor.kind !== 'person' && options.actor.kind !== 'cli') {
    const message = 'API tokens are made by an admin, signed in, or with `keyslip token create`.';
    throw new AppError('forbidden', { message });
  }
  const name = options.name.trim();
  if (name === '' || name.length > API_TOKEN_NAME_MAX) {
    const problem: FieldProblem = { field: 'name', code: 'token_name_length', params: { max: API_TOKEN_NAME_MAX } };
    throw new AppError('validation_failed', { message: `name ${describeProblem('en', problem)}.`, fields: [problem] });
  }
  const days = options.expiresInDays ?? API_TOKEN_DAYS.default;
  if (!Number.isInteger(days) || days < API_TOKEN_DAYS.min || days > API_TOKEN_DAYS.max) {
    const params = { min: API_TOKEN_DAYS.min, max: API_TOKEN_DAYS.max };
    const problem: FieldProblem = { field: 'expiresInDays', code: 'token_days_range', params };
    throw new AppError('validation_failed', {
      message: `expiresInDays ${describeProblem('en', problem)}.`,
      fields: [problem],
    });
  }
  const token = `ks_${randomToken(32)}`;
  const row: ApiTokensTable = {
    id: newId(options.now),
    name,
    token_hash: sha256(token),
    created_by: options.actor.kind === 'person' ? options.actor.id : null,
    owner_label: options.actor.kind === 'person' ? options.actor.label : 'cli',
    created_at: options.now,
    expires_at: options.now + days * DAY,
    last_used_at: null,
    revoked_at: null,
    kind: options.kind ?? 'admin',
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('api_tokens').values(row).execute();
    const details = { tokenId: row.id, name, kind: row.kind, expiresAt: iso(row.expires_at) };
    await recordAuditEvent(trx, { action: 'api_token.created', actor: options.actor, details, at: options.now });
  });
  return { token, apiToken: toApiToken(row, options.now, { ownerStillAdmin: true }) };
}

/** Every token, newest first (revoked and expired ones too: the list is their history). */
export async function listApiTokens(db: Db, now: number): Promise<ApiToken[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .leftJoin('people', 'people.id', 'api_tokens.created_by')
    .selectAll('api_tokens')
    .select(['people.role as owner_role', 'people.status as owner_status'])
    .orderBy('api_tokens.created_at', 'desc')
    .orderBy('api_tokens.id', 'desc')
    .execute();
  return rows.map(({ owner_role, owner_status, ...row }) =>
    toApiToken(row, now, { ownerStillAdmin: owner_role === 'admin' && owner_status !== 'deactivated' }),
  );
}

/**
 * Revokes a token: null when there is no such token. Revoking a revoked token changes nothing
 * and is not audited again; the conditional update decides, so two revocations at once write
 * one entry.
 */
export async function revokeApiToken(
  db: Db,
  options: { id: string; actor: Actor; now: number },
): Promise<{ revoked: boolean; apiToken: ApiToken } | null> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: options.now })
      .where('id', '=', options.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', options.id).executeTakeFirst();
    if (!row) return null;
    const revoked = Number(result.numUpdatedRows) === 1;
    if (revoked) {
      const details = { tokenId: row.id, name: row.name };
      await recordAuditEvent(trx, { action: 'api_token.revoked', actor: options.actor, details, at: options.now });
    }
    // Revoked by now, whoever made it: not active.
    return { revoked, apiToken: toApiToken(row, options.now, { ownerStillAdmin: false }) };
  });
}

/**
 * The token's row if it authenticates now: known, not revoked, not expired, and, when an admin
 * made it, that person is still an admin, not deactivated (a token is its owner's admin rights, and ends
 * with them: deactivating or demoting the admin stops their tokens too).
 */
export async function resolveApiToken(db: Db, token: string, now: number): Promise<ApiTokensTable | null> {
  return resolveToken(db, token, now, 'admin');
}

/** The SCIM token's row if it authenticates now (as resolveApiToken, for kind 'scim' only). */
export async function resolveScimToken(db: Db, token: string, now: number): Promise<ApiTokensTable | null> {
  return resolveToken(db, token, now, 'scim');
}

const TOKEN_COLUMNS = everyColumn<ApiTokensTable>()([
  'id',
  'name',
  'token_hash',
  'created_by',
  'owner_label',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
  'kind',
]).map((column) => `api_tokens.${column}` as const);

// Compiled once (db/prepared.ts): every API and SCIM request authenticates with it.
const tokenRow = prepared((db: Db, tokenHash: string, kind: ApiTokenKind, now: number) =>
  db
    .selectFrom('api_tokens')
    .leftJoin('people', 'people.id', 'api_tokens.created_by')
    .select(TOKEN_COLUMNS)
    .where('api_tokens.token_hash', '=', tokenHash)
    .where('api_tokens.kind', '=', kind)
    .where('api_tokens.revoked_at', 'is', null)
    .where('api_tokens.expires_at', '>', now)
    .where((eb) =>
      eb.or([
        eb('api_tokens.created_by', 'is', null),
        eb.and([eb('people.role', '=', 'admin'), eb('people.status', '!=', 'deactivated')]),
      ]),
    ),
);

async function resolveToken(db: Db, token: string, now: number, kind: ApiTokenKind): Promise<ApiTokensTable | null> {
  if (!token.startsWith('ks_') || token.length > 100) return null;
  const row = (await tokenRow(db, sha256(token), kind, now)).rows[0];
  if (!row) return null;
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_EVERY_MS) {
    // Conditional, so instances that see the same token in the same minute write it once.
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_EVERY_MS)]))
      .execute();
  }
  return row;
}
