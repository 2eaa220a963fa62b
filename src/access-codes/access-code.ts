// An access code: 16 letters from 20 consonants, about 69 bits (16 × log2 20 ≈ 69.2).
// No vowels (no words on a printed slip), no I or O (no misreading as 1 or 0).
import { randomBytes } from 'node:crypto';
import { hmac, hmacDigest, type Key, type Keyring } from '../lib/keyring.js';

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

/**
 * A source of random bytes for many codes at once (a bulk issue): one CSPRNG call per `poolBytes`
 * instead of one per code, which cost more than the code's HMAC. Each byte is handed out once.
 */
export function pooledRandom(poolBytes: number): (size: number) => Buffer {
  let pool = Buffer.alloc(0);
  let at = 0;
  return (size) => {
    if (at + size > pool.length) {
      pool = randomBytes(Math.max(poolBytes, size));
      at = 0;
    }
    at += size;
    return pool.subarray(at - size, at);
  };
}

/** `BCDFGHJKLMNPQRST` → `BCDF-GHJK-LMNP-QRST`. */
export function formatAccessCode(code: string): string {
  if (code.length === CODE_LENGTH)
    return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12)}`;
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

// Separators people type or paste: spaces of every kind, hyphens and dashes, and invisible
// characters (zero-width space/joiners, BOM, soft hyphen) that copy-paste brings along.
const IGNORED = /[\s\u00ad\u200b-\u200d\u2060\ufeff\-\u2010-\u2015\u2212_.]/g;

/**
 * Characters that can only have been meant as one letter of the alphabet, so they are read as
 * it: digits that look like a consonant (2 Z, 5 S, 8 B) and Cyrillic and Greek letters drawn
 * like a Latin consonant (a phone set to Ukrainian or Greek types С for C). Mapping is one to
 * one, so a guess is still one code: it makes typing easier, never guessing. Ambiguous look-alikes
 * are not mapped but explained (see CODE_LETTER_HINTS): 0 and O (D or Q?), 1 and I (J, L or T?).
 */
export const LOOK_ALIKES: Readonly<Record<string, string>> = {
  '2': 'Z',
  '5': 'S',
  '8': 'B',
  // Cyrillic capitals and small letters
  '\u0412': 'B',
  '\u0432': 'B', // В в
  '\u0421': 'C',
  '\u0441': 'C', // С с
  '\u041d': 'H',
  '\u043d': 'H', // Н н
  '\u041a': 'K',
  '\u043a': 'K', // К к
  '\u041c': 'M',
  '\u043c': 'M', // М м
  '\u0420': 'P',
  '\u0440': 'P', // Р р
  '\u0422': 'T',
  '\u0442': 'T', // Т т
  '\u0425': 'X',
  '\u0445': 'X', // Х х
  '\u0405': 'S',
  '\u0455': 'S', // Ѕ ѕ
  '\u0408': 'J',
  '\u0458': 'J', // Ј ј
  // Greek capitals
  '\u0392': 'B',
  '\u0397': 'H',
  '\u039a': 'K',
  '\u039c': 'M',
  '\u039d': 'N',
  '\u03a1': 'P', // Β Η Κ Μ Ν Ρ
  '\u03a4': 'T',
  '\u03a7': 'X',
  '\u0396': 'Z', // Τ Χ Ζ
};

/** Letters and digits that never occur in a code, with the letters a person may have misread. */
export const CODE_LETTER_HINTS: Readonly<Record<string, string>> = {
  A: '',
  E: 'F',
  I: 'J L T',
  O: 'D Q',
  U: 'V',
  Y: 'V X',
  '0': 'D Q',
  '1': 'J L T',
  '3': 'B',
  '4': '',
  '6': 'G',
  '7': 'T',
  '9': 'G Q',
};

/** What a person typed, read letter by letter: the code's letters so far and what cannot be in one. */
export interface CodeInputReading {
  /** The letters that can be part of a code, look-alikes mapped, in order. */
  letters: string;
  /** Characters that never occur in a code (vowels, some digits, other scripts), each once, upper-cased. */
  impossible: string[];
}

/**
 * Reads typed input the way the access-code page explains it: separators ignored, look-alikes
 * mapped, anything else listed as impossible. It says nothing about whether a code exists.
 */
export function readCodeInput(input: string): CodeInputReading {
  let letters = '';
  const impossible = new Set<string>();
  const stripped = input.slice(0, 200).normalize('NFKC').replace(IGNORED, '');
  for (const char of stripped) {
    // ß upper-cases to SS: it is one impossible character, never two letters.
    const upper = char === '\u00df' || char === '\u1e9e' ? char : char.toUpperCase();
    const mapped = LOOK_ALIKES[char] ?? LOOK_ALIKES[upper] ?? (upper.length === 1 ? upper : char);
    if (ALPHABET.includes(mapped)) letters += mapped;
    else impossible.add(upper.length === 1 ? upper : char);
  }
  return { letters, impossible: [...impossible] };
}

const AS_SHOWN = /^[BCDFGHJKLMNPQRSTVWXZ]{4}(?:-?[BCDFGHJKLMNPQRSTVWXZ]{4}){3}$/;

/**
 * The canonical form of what a person typed, or null when it cannot be a code. NFKC maps
 * full-width letters (ＢＣＤ) to ASCII and LOOK_ALIKES maps the unambiguous look-alikes;
 * anything else outside the alphabet (ß, vowels, 0, 1) makes it a non-code rather than being
 * guessed at.
 */
export function normaliseAccessCode(input: string): string | null {
  if (input.length > 200) return null;
  // The usual input, a code as shown or printed (BCDF-GHJK-LMNP-QRST or without the hyphens), is
  // what the full reading below would return unchanged: taken as it is.
  if (AS_SHOWN.test(input)) return input.replace(/-/g, '');
  const reading = readCodeInput(input);
  if (reading.impossible.length > 0 || reading.letters.length !== CODE_LENGTH) return null;
  return reading.letters;
}

/** The keyed hash stored for a code. HMAC, not a slow hash: 69 random bits need no stretching. */
export function hashAccessCode(key: Pick<Key, 'hmac'>, normalisedCode: string): string {
  return hmac(key, normalisedCode);
}

/** hashAccessCode's hash as bytes (its base64url text is the hash). */
export function accessCodeDigest(key: Pick<Key, 'hmac'>, normalisedCode: string): Buffer {
  return hmacDigest(key, normalisedCode);
}

/** The hash under every key of the ring, newest first, for lookups across a rotation. */
export function accessCodeHashCandidates(keyring: Keyring, normalisedCode: string): string[] {
  return keyring.keys.map((key) => hashAccessCode(key, normalisedCode));
}
