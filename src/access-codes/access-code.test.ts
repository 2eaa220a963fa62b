import { afterEach, describe, expect, it } from 'vitest';
import { createTestContext, DIALECTS, type TestContext } from '../../test/helpers/deps.js';
import { addPerson, client, expectAppError, PASSWORD } from '../../test/helpers/core.js';
import { CLI_ACTOR } from '../audit/audit.js';
import type { Deps } from '../deps.js';
import { createKeyring } from '../lib/keyring.js';
import {
  accessCodeHashCandidates,
  ALPHABET,
  CODE_LENGTH,
  formatAccessCode,
  generateAccessCode,
  hashAccessCode,
  normaliseAccessCode,
  readCodeInput,
  CODE_LETTER_HINTS,
  LOOK_ALIKES,
} from './access-code.js';
import { checkAccessCode, issueAccessCode, redeemAccessCode } from './access-codes.service.js';
import { CHI_SQUARE_LIMIT, chiSquare, LETTERS_SAMPLED } from '../../test/helpers/chi-square.js';

/** A seeded byte source (mulberry32), so the "biased generator" check below is deterministic. */
function seededBytes(seed: number): (size: number) => Buffer {
  let state = seed >>> 0;
  return (size) => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
    return out;
  };
}

describe('generating access codes', () => {
  it('every letter of the alphabet appears, evenly (chi-square over 200,000 letters)', () => {
    const letters: string[] = [];
    while (letters.length < LETTERS_SAMPLED) letters.push(...generateAccessCode());
    const { statistic, counts, total } = chiSquare(letters);
    expect(total).toBe(LETTERS_SAMPLED);
    expect([...counts.keys()].sort().join('')).toBe([...ALPHABET].sort().join(''));
    for (const count of counts.values()) expect(count).toBeGreaterThan(0);
    expect(statistic).toBeLessThan(CHI_SQUARE_LIMIT);
  });

  it('the chi-square check catches modulo bias that rejection sampling removes', () => {
    // The same bytes, mapped with plain `byte % 20` (letters 0–15 get 13/256, 16–19 get 12/256)…
    const bytes = seededBytes(42)(LETTERS_SAMPLED);
    const biased = chiSquare([...bytes].map((byte) => ALPHABET[byte % 20]!));
    expect(biased.statistic).toBeGreaterThan(CHI_SQUARE_LIMIT);
    // …and through generateAccessCode, which drops bytes ≥ 240.
    const random = seededBytes(42);
    const letters: string[] = [];
    while (letters.length < LETTERS_SAMPLED) letters.push(...generateAccessCode(random));
    expect(chiSquare(letters).statistic).toBeLessThan(CHI_SQUARE_LIMIT);
  });

  it('codes are 16 letters of the alphabet, no vowels, no I or O', () => {
    for (let i = 0; i < 2000; i += 1) {
      const code = generateAccessCode();
      expect(code).toHaveLength(CODE_LENGTH);
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{16}$/);
    }
    expect(ALPHABET).toHaveLength(20);
    expect(ALPHABET).not.toMatch(/[AEIOUY]/);
  });

  it('bytes of 240 and above are skipped, never folded into a letter', () => {
    let calls = 0;
    const random = (size: number): Buffer => {
      calls += 1;
      // First call: only rejected bytes. Second: rejected and accepted bytes interleaved.
      if (calls === 1) return Buffer.alloc(size, 255);
      return Buffer.from(Array.from({ length: size }, (_, i) => (i % 2 === 0 ? 240 + (i % 16) : i >> 1)));
    };
    expect(generateAccessCode(random)).toBe(ALPHABET.slice(0, 16));
    expect(calls).toBe(2);
  });
});

describe('formatting and normalising access codes', () => {
  it('a code typed as shown reads the same by the quick path as by the full reading', () => {
    for (let i = 0; i < 200; i += 1) {
      const code = generateAccessCode();
      const typed = [
        code,
        formatAccessCode(code),
        `${code.slice(0, 8)}-${code.slice(8)}`,
        formatAccessCode(code) + '-',
      ];
      for (const input of typed) {
        const reading = readCodeInput(input);
        const full = reading.impossible.length === 0 && reading.letters.length === CODE_LENGTH ? reading.letters : null;
        expect(normaliseAccessCode(input), input).toBe(full);
      }
    }
  });

  it('formats as four groups of four', () => {
    expect(formatAccessCode('BCDFGHJKLMNPQRST')).toBe('BCDF-GHJK-LMNP-QRST');
    const code = generateAccessCode();
    expect(formatAccessCode(code)).toMatch(/^[A-Z]{4}-[A-Z]{4}-[A-Z]{4}-[A-Z]{4}$/);
    expect(normaliseAccessCode(formatAccessCode(code))).toBe(code);
  });

  it.each([
    ['grouped', 'BCDF-GHJK-LMNP-QRST'],
    ['lower case', 'bcdf-ghjk-lmnp-qrst'],
    ['mixed case', 'bCdF gHjK LmNp qRsT'],
    ['spaces', '  BCDF GHJK  LMNP QRST  '],
    ['no separators', 'BCDFGHJKLMNPQRST'],
    ['hyphens anywhere', 'B-C-D-F-GHJKLMNP--QRST'],
    ['en dash and non-breaking space', 'BCDF\u2013GHJK\u00a0LMNP QRST'],
    ['tabs and newlines', 'BCDF\tGHJK\nLMNP\r\nQRST'],
    ['full-width letters (NFKC)', 'ＢＣＤＦ－ＧＨＪＫ－ＬＭＮＰ－ＱＲＳＴ'],
    ['full-width lower case', 'ｂｃｄｆｇｈｊｋｌｍｎｐｑｒｓｔ'],
    ['zero-width spaces (U+200B)', 'BCDF\u200bGHJK\u200b\u200bLMNP\u200bQRST'],
    ['zero-width joiners, BOM and soft hyphen', '\ufeffBCDF\u200dGHJK\u00adLMNP\u2060QRST'],
  ])('accepts %s', (_label, input) => {
    expect(normaliseAccessCode(input)).toBe('BCDFGHJKLMNPQRST');
  });

  it.each([
    ['Cyrillic С (U+0421)', 'B\u0421DFGHJKLMNPQRST'],
    ['Cyrillic В (U+0412) and small т (U+0442)', '\u0412CDFGHJKLMNPQRS\u0442'],
    ['Greek Β (U+0392)', '\u0392CDFGHJKLMNPQRST'],
    ['digits drawn like letters: 8 B, 5 S', '8CDFGHJKLMNPQR5T'],
  ])('reads the unambiguous look-alike %s as its letter', (_label, input) => {
    expect(normaliseAccessCode(input)).toBe('BCDFGHJKLMNPQRST');
  });

  it('reads typed input letter by letter: the letters so far and what never occurs in a code', () => {
    expect(readCodeInput('bcdf-ghjk lm')).toEqual({ letters: 'BCDFGHJKLM', impossible: [] });
    expect(readCodeInput('NMQI VCTO VCT0 aa')).toEqual({ letters: 'NMQVCTVCT', impossible: ['I', 'O', '0', 'A'] });
    expect(readCodeInput('Zfhz Lhtw hdls-NMQ2')).toEqual({ letters: 'ZFHZLHTWHDLSNMQZ', impossible: [] });
    expect(readCodeInput('BCDß')).toEqual({ letters: 'BCD', impossible: ['ß'] });
    for (const char of Object.keys(CODE_LETTER_HINTS)) expect(ALPHABET).not.toContain(char);
    for (const [char, letter] of Object.entries(LOOK_ALIKES)) {
      expect(ALPHABET).toContain(letter);
      expect(ALPHABET).not.toContain(char);
    }
  });

  it('maps the ff ligature (U+FB00) to the two letters it stands for, as NFKC does', () => {
    expect(normaliseAccessCode('BCDF-GHJK-LMNP-QR\ufb00')).toBe('BCDFGHJKLMNPQRFF');
  });

  it.each([
    ['empty', ''],
    ['only separators', ' - - \u200b '],
    ['15 letters', 'BCDFGHJKLMNPQRS'],
    ['17 letters', 'BCDFGHJKLMNPQRSTV'],
    ['a vowel', 'BCDFGHJKLMNPQRSA'],
    ['I and O', 'BCDFGHJKLMNPQRIO'],
    ['digits', 'BCDFGHJKLMNPQR01'],
    ['ß (upper-cases to SS, which must not complete a code)', 'BCDFGHJKLMNPQRß'],
    ['ß in 16 characters', 'BCDFGHJKLMNPQRSß'],
    ['0 and 1 (ambiguous look-alikes: explained, never guessed)', 'BCDFGHJKLMNPQR01'],
    ['NUL bytes', 'BCDF\u0000GHJK\u0000LMNP\u0000QRST'],
    ['a NUL byte at the end', 'BCDFGHJKLMNPQRST\u0000'],
    ['combining marks', 'B\u0301CDFGHJKLMNPQRST'],
    ['an emoji', 'BCDFGHJKLMNPQRS😀'],
    ['lone surrogates', 'BCDFGHJKLMNPQRS\ud800'],
    ['SQL-looking input', "' OR 1=1 --"],
  ])('refuses %s (null, no crash)', (_label, input) => {
    expect(normaliseAccessCode(input)).toBeNull();
  });

  it('refuses very long input quickly, whatever it holds', () => {
    const started = performance.now();
    expect(normaliseAccessCode('B'.repeat(1_000_000))).toBeNull();
    expect(normaliseAccessCode(`${' '.repeat(500_000)}BCDFGHJKLMNPQRST`)).toBeNull();
    expect(normaliseAccessCode('\ufdfa'.repeat(200))).toBeNull(); // each expands to 18 characters under NFKC
    expect(normaliseAccessCode(`${'-'.repeat(184)}BCDFGHJKLMNPQRST`)).toBe('BCDFGHJKLMNPQRST'); // 200 exactly
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('hashing access codes', () => {
  const oldRing = createKeyring(['old-secret-old-secret-old-secret-0001']);
  const newRing = createKeyring(['new-secret-new-secret-new-secret-0002']);

  it('the HMAC differs per key and is stable for one key', () => {
    const code = generateAccessCode();
    expect(hashAccessCode(oldRing.current, code)).toBe(hashAccessCode(oldRing.current, code));
    expect(hashAccessCode(oldRing.current, code)).not.toBe(hashAccessCode(newRing.current, code));
    expect(hashAccessCode(oldRing.current, code)).not.toContain(code);
    expect(oldRing.current.id).not.toBe(newRing.current.id);
  });

  it('a rotated keyring offers the newest key first and still knows the old one', () => {
    const rotated = createKeyring(['new-secret-new-secret-new-secret-0002', 'old-secret-old-secret-old-secret-0001']);
    const code = generateAccessCode();
    expect(accessCodeHashCandidates(rotated, code)).toEqual([
      hashAccessCode(newRing.current, code),
      hashAccessCode(oldRing.current, code),
    ]);
  });
});

describe.each(DIALECTS)('key rotation (%s)', (dialect) => {
  let context: TestContext;
  afterEach(async () => {
    await context.close();
  });

  it(
    'a code issued under the old key still checks and ' + 'redeems after rotation; the new key signs new codes',
    async () => {
      const oldSecret = 'old-secret-old-secret-old-secret-0001';
      const newSecret = 'new-secret-new-secret-new-secret-0002';
      context = await createTestContext(dialect, { env: { KEYSLIP_SECRET: oldSecret } });
      const before: Deps = context.deps;
      const person = await addPerson(before, { name: 'Rota Tion', username: 'rota' });
      const issued = await issueAccessCode(before, { personId: person.id, actor: CLI_ACTOR });

      const rotated: Deps = { ...before, keyring: createKeyring([newSecret, oldSecret]) };
      const newOnly: Deps = { ...before, keyring: createKeyring([newSecret]) };
      // Without the old key the code is unknown…
      await expectAppError(checkAccessCode(newOnly, { code: issued.code, client: client() }), 'code_unusable');
      // …with the rotated ring (new first, old second) it is found and redeems.
      expect(await checkAccessCode(rotated, { code: issued.code, client: client() })).toMatchObject({
        username: 'rota',
        claim: true,
      });
      const redeemed = await redeemAccessCode(rotated, {
        code: issued.code,
        username: 'rota',
        password: PASSWORD,
        client: client(),
      });
      expect(redeemed.claimed).toBe(true);

      // A code issued after the rotation is signed with the new key.
      const next = await issueAccessCode(rotated, { personId: person.id, actor: CLI_ACTOR });
      const row = await context.deps.db
        .selectFrom('access_codes')
        .select('key_id')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(row.key_id).toBe(rotated.keyring.current.id);
      expect(await checkAccessCode(newOnly, { code: next.code, client: client() })).toMatchObject({
        username: 'rota',
        claim: false,
      });
    },
  );
});
