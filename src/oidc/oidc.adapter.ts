// oidc-provider's storage, in Keyslip's database (none ships with the library; its memory adapter
// is for development only and would tie a flow to the instance that started it). Every model is a
// row of oidc_payloads keyed by (model, id); the columns beside the JSON are what lookups and
// deletions need. Registered clients are not payloads: the Client model reads oidc_clients.
//
// Consuming a code or refresh token is a conditional update (`where consumed_at is null`) whose
// affected-row count decides, so of N parallel exchanges of one code, on any number of instances,
// exactly one wins. The losers are treated as a replay: invalid_grant, and the grant is revoked,
// as oidc-provider itself does when it sees a code or refresh token used twice in a row.
import { errors } from 'oidc-provider';
import type { Db } from '../db/database.js';
import type { OidcPayloadsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { findOidcClient, toClientMetadata } from './oidc-clients.store.js';

export type OidcPayload = Record<string, unknown>;

/** Models whose rows are consumed (single use) rather than only read. */
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The adapter class oidc-provider instantiates once per model name. */
export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterClass = new (model: string) => OidcAdapter;

export function kyselyAdapter(db: Db, clock: Clock): OidcAdapterClass {
  function toPayload(
    row: Pick<OidcPayloadsTable, 'payload' | 'consumed_at' | 'expires_at'> | undefined,
  ): OidcPayload | undefined {
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= clock.now()) return undefined;
    const payload = JSON.parse(row.payload) as OidcPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  }

  return class KyselyOidcAdapter implements OidcAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
      const { consumed: _consumed, ...stored } = payload;
      const row: OidcPayloadsTable = {
        model: this.model,
        id,
        payload: JSON.stringify(stored),
        // A grant is its own grant id, so revoking a grant removes the grant with its tokens.
        grant_id: this.model === 'Grant' ? id : text(payload.grantId),
        uid: text(payload.uid),
        user_code: text(payload.userCode),
        account_id: text(payload.accountId),
        expires_at: typeof expiresIn === 'number' ? clock.now() + expiresIn * 1000 : null,
        consumed_at: null,
      };
      // consumed_at is never overwritten: saving a consumed token again must not revive it.
      await db
        .insertInto('oidc_payloads')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code: row.user_code,
            account_id: row.account_id,
            expires_at: row.expires_at,
          }),
        )
        .execute();
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      if (this.model === 'Client') {
        const client = await findOidcClient(db, id);
        return client ? (toClientMetadata(client) as OidcPayload) : undefined;
      }
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at', 'expires_at'])
        .where('model', '=', this.model)
        .where('id', '=', id)
        .executeTakeFirst();
      return toPayload(row);
    }

    async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at', 'expires_at'])
        .where('model', '=', this.model)
        .where('user_code', '=', userCode)
        .executeTakeFirst();
      return toPayload(row);
    }

    async findByUid(uid: string): Promise<OidcPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at', 'expires_at'])
        .where('model', '=', this.model)
        .where('uid', '=', uid)
        .executeTakeFirst();
      return toPayload(row);
    }

    async consume(id: string): Promise<void> {
      const result = await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: clock.now() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1 || !CONSUMABLE.has(this.model)) return;
      // Another exchange (on this instance or another) consumed it first: this one is a replay.
      const row = await db
        .selectFrom('oidc_payloads')
        .select('grant_id')
        .where('model', '=', this.model)
        .where('id', '=', id)
        .executeTakeFirst();
      if (row?.grant_id) await this.revokeByGrantId(row.grant_id);
      throw new errors.InvalidGrant(
        `${this.model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already used`,
      );
    }

    async destroy(id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).execute();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // Every model's rows of the grant at once: the table is shared, and so is the grant.
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    }
  };
}
