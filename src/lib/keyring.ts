// The server secret(s), kept outside the database. Newest first: the newest signs and encrypts,
// every key still verifies and decrypts, so a secret can be rotated without voiding codes.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Key {
  /** Short, non-secret identifier stored beside each hash so the right key is known. */
  readonly id: string;
  readonly hmac: Buffer;
  /** One AES-256 key per purpose, so a ciphertext made for one can never be passed off as another. */
  readonly encryption: Readonly<Record<EncryptionPurpose, Buffer>>;
  readonly csrf: Buffer;
  /** Signs oidc-provider's cookies (its session and interaction cookies). */
  readonly oidcCookie: Buffer;
  /** Encrypts the OpenID Provider's private signing keys at rest (oidc_keys). */
  readonly oidcKeys: Buffer;
}

/** What a ciphertext is for: a batch's downloadable codes, or the code shown once on a page. */
export type EncryptionPurpose = 'batch code' | 'shown code' | 'shown client secret' | 'idempotent answer';

export interface Keyring {
  /** Newest first. */
  readonly keys: readonly Key[];
  readonly current: Key;
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `keyslip ${purpose}`, 32));
}

export function createKeyring(secrets: readonly string[]): Keyring {
  if (secrets.length === 0) throw new Error('A keyring needs at least one secret');
  const keys = secrets.map((secret) => {
    const id = derive(secret, 'key id').toString('base64url').slice(0, 8);
    // 'v2': the keys of the first format ('batch encryption', shared by both purposes, no
    // associated data) are retired with it; a batch sealed by them no longer opens.
    const encryption = {
      'batch code': derive(secret, 'batch code encryption v2'),
      'shown code': derive(secret, 'shown code encryption v2'),
      'shown client secret': derive(secret, 'shown client secret encryption v1'),
      'idempotent answer': derive(secret, 'idempotent answer encryption v1'),
    };
    return {
      id,
      hmac: derive(secret, 'access code hmac'),
      encryption,
      csrf: derive(secret, 'csrf'),
      oidcCookie: derive(secret, 'oidc cookies'),
      oidcKeys: derive(secret, 'oidc signing keys'),
    };
  });
  return { keys, current: keys[0]! };
}

/**
 * The secrets from KEYSLIP_SECRET, or else the secret file in the data folder, created on first
 * start with mode 0600 (readable by the server's user only).
 */
export function loadSecrets(configured: readonly string[], dataDir: string): string[] {
  if (configured.length > 0) return [...configured];
  const file = path.join(dataDir, 'secret');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    fs.writeSync(fd, `${randomBytes(48).toString('base64url')}\n`);
    fs.closeSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return fs
    .readFileSync(file, 'utf8')
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 32);
}

export function hmac(key: Pick<Key, 'hmac'>, value: string): string {
  return hmacDigest(key, value).toString('base64url');
}

/** The HMAC-SHA-256 of `value` as bytes; hmac() is its base64url text. */
export function hmacDigest(key: Pick<Key, 'hmac'>, value: string): Buffer {
  return createHmac('sha256', key.hmac).update(value, 'utf8').digest();
}

const IV_BYTES = 12;
/** The full GCM tag, always: with a shorter one accepted, a forgery needs far fewer tries. */
const TAG_BYTES = 16;

/**
 * AES-256-GCM under the purpose's key: `keyId.iv.tag.ciphertext`, all base64url. The associated
 * data is not stored; it names what the plaintext belongs to (a batch id, a session and person),
 * so a ciphertext moved to another batch or cookie fails to decrypt.
 */
export function encrypt(
  keyring: Keyring,
  purpose: EncryptionPurpose,
  plaintext: string,
  options: { associatedData: string },
): string {
  const key = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.encryption[purpose], iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(options.associatedData, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [key.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
}

/** The plaintext, or null for anything that was not sealed by `encrypt` with this purpose and data. */
export function decrypt(
  keyring: Keyring,
  purpose: EncryptionPurpose,
  sealed: string,
  options: { associatedData: string },
): string | null {
  const [keyId, ivText, tagText, data, extra] = sealed.split('.');
  const key = keyring.keys.find((k) => k.id === keyId);
  if (!key || ivText === undefined || tagText === undefined || data === undefined || extra !== undefined) return null;
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryption[purpose], iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(options.associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    return null;
  }
}
