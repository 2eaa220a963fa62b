// The OpenID Provider's signing keys: one RS256 (the algorithm every client must support) and one
// ES256 key at a time, generated on first start and stored in oidc_keys with the private part
// encrypted (AES-256-GCM under a key derived from KEYSLIP_SECRET for this purpose alone). Every
// instance reads the same rows, so tokens signed by one verify against the JWKS of any other.
//
// Rotation adds a new pair and retires the old one: the newest key of each algorithm signs, and a
// retired key's public half stays in the JWKS for RETIRED_KEY_PUBLISHED_MS, longer than anything
// it signed lives (ID tokens: 1 hour; logout tokens: 2 minutes).
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { OidcKeysTable } from '../db/schema.js';
import { dialectOf } from '../db/dialect.js';
import type { Keyring } from '../lib/keyring.js';
import { DAY } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';

export const RETIRED_KEY_PUBLISHED_MS = DAY;
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig' };

function sealJwk(keyring: Keyring, jwk: PrivateJwk): string {
  const key = keyring.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.oidcKeys, iv);
  // The kid is authenticated with the key: a row's key cannot be swapped under another kid.
  cipher.setAAD(Buffer.from(jwk.kid, 'utf8'));
  const data = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
  return [key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(
    '.',
  );
}

function openJwk(keyring: Keyring, kid: string, sealed: string): PrivateJwk | null {
  const [keyId, iv, tag, data] = sealed.split('.');
  const key = keyring.keys.find((k) => k.id === keyId);
  if (!key || iv === undefined || tag === undefined || data === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.oidcKeys, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as PrivateJwk;
  } catch {
    return null;
  }
}

/**
 * A new private key as a JWK, exported by the key generation itself. Generating a KeyObject and
 * exporting it afterwards can hang the process for good on Node.js 20: a garbage collection
 * during the export frees the finished generation job, which waits for a lock the export holds
 * (seen in CI; a loop of 30,000 EC keys hangs within seconds that way, and finishes this way).
 */
function generateJwk(alg: SigningAlg): PrivateJwk {
  const jwk = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as const;
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, ...jwk })
      : generateKeyPairSync('ec', { namedCurve: 'P-256', ...jwk });
  return { ...privateKey, kid: randomToken(12), alg, use: 'sig' };
}

function newKeyRows(keyring: Keyring, now: number): OidcKeysTable[] {
  return SIGNING_ALGS.map((alg) => {
    const jwk = generateJwk(alg);
    return { kid: jwk.kid, alg, private_jwk_encrypted: sealJwk(keyring, jwk), created_at: now, retired_at: null };
  });
}

/** Serialises key generation across instances: a table lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already is one. */
async function lockKeys(trx: Db): Promise<void> {
  if (dialectOf(trx) === 'postgres') await sql`lock table oidc_keys in share row exclusive mode`.execute(trx);
}

/** On first start (no key yet), generates the first pair. Safe when several instances start at once. */
export async function ensureSigningKeys(db: Db, keyring: Keyring, now: number): Promise<void> {
  const existing = await db.selectFrom('oidc_keys').select('kid').limit(1).executeTakeFirst();
  if (existing) return;
  await db.transaction().execute(async (trx) => {
    await lockKeys(trx);
    const again = await trx.selectFrom('oidc_keys').select('kid').limit(1).executeTakeFirst();
    if (again) return;
    await trx.insertInto('oidc_keys').values(newKeyRows(keyring, now)).execute();
  });
}

/** `keyslip keys rotate`: a new pair signs from now on; the old pair is retired (still published a while). */
export async function rotateSigningKeys(db: Db, keyring: Keyring, now: number): Promise<{ kids: string[] }> {
  const rows = newKeyRows(keyring, now);
  await db.transaction().execute(async (trx) => {
    await lockKeys(trx);
    await trx.updateTable('oidc_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
    await trx.insertInto('oidc_keys').values(rows).execute();
  });
  return { kids: rows.map((row) => row.kid) };
}

/**
 * For an instance whose KEYSLIP_SECRET opens none of the stored keys (the secret was replaced
 * without keeping the old one in the list): a new pair it can use, added beside the others
 * (which instances with the old secret may still be signing with), so it can start.
 */
export async function addSigningKeys(db: Db, keyring: Keyring, now: number): Promise<{ kids: string[] }> {
  const rows = newKeyRows(keyring, now);
  await db.insertInto('oidc_keys').values(rows).execute();
  return { kids: rows.map((row) => row.kid) };
}

export class NoUsableSigningKeyError extends Error {
  constructor() {
    super(
      'No OpenID Connect signing key can be read with KEYSLIP_SECRET ' +
        '(was it changed without keeping the old secret in the list?).',
    );
    this.name = 'NoUsableSigningKeyError';
  }
}

export interface LoadedKeys {
  /** Newest first, so oidc-provider signs with the newest key of each algorithm. */
  jwks: PrivateJwk[];
  /** Identifies this set, to notice a rotation made by another instance. */
  fingerprint: string;
}

/** The keys to publish: the current ones and those retired less than RETIRED_KEY_PUBLISHED_MS ago. */
export async function loadSigningKeys(db: Db, keyring: Keyring, now: number): Promise<LoadedKeys> {
  const rows = await db
    .selectFrom('oidc_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now - RETIRED_KEY_PUBLISHED_MS)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
  // Current keys first, whatever their age: a retired key never signs.
  rows.sort((a, b) => Number(a.retired_at !== null) - Number(b.retired_at !== null));
  const jwks: PrivateJwk[] = [];
  for (const row of rows) {
    const jwk = openJwk(keyring, row.kid, row.private_jwk_encrypted);
    // A key sealed under a secret no longer configured cannot be used; the others still can.
    if (jwk) jwks.push(jwk);
  }
  if (!SIGNING_ALGS.every((alg) => jwks.some((jwk) => jwk.alg === alg))) throw new NoUsableSigningKeyError();
  return { jwks, fingerprint: jwks.map((jwk) => jwk.kid).join(',') };
}
