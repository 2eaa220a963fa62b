// An access code: 16 letters from 20 consonants, about 69 bits (16 × log2 20 ≈ 69.2).
// No vowels (no words on a printed slip), no I or O (no misreading as 1 or 0).
import { randomBytes } from 'node:crypto';
import { hmac, type Key, type Keyring } from '../lib/keyring.js';

export const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const CODE_LENGTH = 16;
export const MAX_LIFETIME_DAYS = 90;

/**
 * Uniform letters by rejection sampling: a random byte is used only when it is below 240
 * (the largest multiple of 20 under 256), so every letter has exactly the same chance.
 */
export function generateAccessCode(random: (size: number) => Buffer = randomBytes): string {
  let code = '';
  while (code.length < CODE_LENGTH) {
    for (const byte of random(CODE_LENGTH * 2)) {
      if (byte >= 240) continue;
      code += ALPHABET[byte % 20];
      if (code.length === CODE_LENGTH) break;
    }
  }
  return code;
}

/** `BCDFGHJKLMNPQRST` → `BCDF-GHJK-LMNP-QRST`. */
export function formatAccessCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

// Separators people type or paste: spaces of every kind, hyphens and dashes, and invisible
// characters (zero-width space/joiners, BOM, soft hyphen) that copy-paste brings along.
const IGNORED = /[\s\u00ad\u200b-\u200d\u2060\ufeff\-\u2010-\u2015\u2212_.]/g;

/**
 * The canonical form of what a person typed, or null when it cannot be a code. NFKC maps
 * full-width letters (ＢＣＤ) to ASCII; anything left outside the alphabet (Cyrillic look-alikes,
 * ß, vowels, digits) makes it a non-code rather than being guessed at.
 */
export function normaliseAccessCode(input: string): string | null {
  if (input.length > 200) return null;
  const stripped = input.normalize('NFKC').replace(IGNORED, '');
  // Checked before upper-casing: 'ß'.toUpperCase() is 'SS', which must not become two letters.
  if (!/^[A-Za-z]{16}$/.test(stripped)) return null;
  const candidate = stripped.toUpperCase();
  for (const letter of candidate) if (!ALPHABET.includes(letter)) return null;
  return candidate;
}

/** The keyed hash stored for a code. HMAC, not a slow hash: 69 random bits need no stretching. */
export function hashAccessCode(key: Key, normalisedCode: string): string {
  return hmac(key, normalisedCode);
}

/** The hash under every key of the ring, newest first, for lookups across a rotation. */
export function accessCodeHashCandidates(keyring: Keyring, normalisedCode: string): string[] {
  return keyring.keys.map((key) => hashAccessCode(key, normalisedCode));
}
