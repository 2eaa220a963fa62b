// The server secret(s), kept outside the database. Newest first: the newest signs and encrypts,
// every key still verifies and decrypts, so a secret can be rotated without voiding codes.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Key {
  /** Short, non-secret identifier stored beside each hash so the right key is known. */
  readonly id: string;
  readonly hmac: Buffer;
  readonly encryption: Buffer;
  readonly csrf: Buffer;
  /** Signs oidc-provider's cookies (its session and interaction cookies). */
  readonly oidcCookie: Buffer;
  /** Encrypts the OpenID Provider's private signing keys at rest (oidc_keys). */
  readonly oidcKeys: Buffer;
}

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
    return {
      id,
      hmac: derive(secret, 'access code hmac'),
      encryption: derive(secret, 'batch encryption'),
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

export function hmac(key: Key, value: string): string {
  return createHmac('sha256', key.hmac).update(value, 'utf8').digest('base64url');
}

/** AES-256-GCM: `keyId.iv.tag.ciphertext`, all base64url. */
export function encrypt(keyring: Keyring, plaintext: string): string {
  const key = keyring.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

export function decrypt(keyring: Keyring, sealed: string): string | null {
  const [keyId, iv, tag, data] = sealed.split('.');
  const key = keyring.keys.find((k) => k.id === keyId);
  if (!key || iv === undefined || tag === undefined || data === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryption, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
