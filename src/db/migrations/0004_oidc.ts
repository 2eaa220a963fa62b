// Frozen once released, like every migration.
// Keyslip as an OpenID Provider (SPEC §8). Four tables:
// - oidc_payloads: every piece of oidc-provider's state (sessions, interactions, grants, codes,
//   tokens …) as one JSON document per row, keyed by (model, id). grant_id, uid, user_code and
//   account_id are copied out of the payload so they can be looked up and deleted by index;
//   consumed_at is the column a code or refresh token is consumed by (one conditional update).
// - oidc_keys: the signing keys, private parts encrypted under KEYSLIP_SECRET, shared by instances.
// - oidc_clients: the registered apps; a confidential client's secret only as a SHA-256 hash.
// - oidc_logout_outbox: Back-Channel Logout tokens waiting to be delivered.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('oidc_payloads')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('account_id', 'text')
    .addColumn('expires_at', big)
    .addColumn('consumed_at', big)
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_grant').on('oidc_payloads').column('grant_id').execute();
  await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).execute();
  await db.schema.createIndex('oidc_payloads_user_code').on('oidc_payloads').columns(['model', 'user_code']).execute();
  await db.schema.createIndex('oidc_payloads_account').on('oidc_payloads').columns(['account_id', 'model']).execute();
  await db.schema.createIndex('oidc_payloads_expires').on('oidc_payloads').column('expires_at').execute();

  await db.schema
    .createTable('oidc_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull().check(sql`alg in ('RS256', 'ES256')`))
    .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('retired_at', big)
    .execute();

  await db.schema
    .createTable('oidc_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('synthetic_email_domain', 'text')
    .addColumn('launch_url', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text')
    // A public client has no secret; a confidential one always has one.
    .addCheckConstraint(
      'oidc_clients_secret',
      sql`(public = 1 and secret_hash is null) or (public = 0 and secret_hash is not null)`,
    )
    .execute();

  // Back-Channel Logout: one row per logout_token to deliver (a person's access ended, an app they
  // used has a backchannel_logout_uri). Written in the transaction that ends the access; a worker
  // delivers with retries and backoff, from the database, so a restart loses nothing.
  await db.schema
    .createTable('oidc_logout_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', big, (c) => c.notNull())
    .addColumn('delivered_at', big)
    .addColumn('gave_up_at', big)
    .addColumn('last_problem', 'text')
    .execute();
  await db.schema
    .createIndex('oidc_logout_outbox_due')
    .on('oidc_logout_outbox')
    .columns(['next_attempt_at'])
    .where(sql.ref('delivered_at'), 'is', null)
    .where(sql.ref('gave_up_at'), 'is', null)
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
