import { describe, it, expect } from 'vitest';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  RECOMMENDED_PASSWORD_LENGTH,
  checkPassword,
  commonPasswordCount,
  hashPassword,
  passwordProblemMessage,
  verifyPassword,
} from './password.js';
import type { PasswordProblem } from './password.js';

const noUser = { username: null };

describe('password length', () => {
  it('has the NIST-style limits 8 / 15 / 128', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(RECOMMENDED_PASSWORD_LENGTH).toBe(15);
    expect(MAX_PASSWORD_LENGTH).toBe(128);
  });

  it('a 7-character password is refused, an 8-character one accepted', () => {
    expect(checkPassword('vqzkmwj', noUser)).toBe('too_short');
    expect(checkPassword('vqzkmwjx', noUser)).toBeNull();
  });

  it('128 characters are accepted, 129 refused', () => {
    expect(checkPassword('x7'.repeat(64), noUser)).toBeNull();
    expect(checkPassword(`${'x7'.repeat(64)}q`, noUser)).toBe('too_long');
  });

  it('a huge input is refused as too long', () => {
    expect(checkPassword('a'.repeat(1_000_000), noUser)).toBe('too_long');
  });

  it('emoji count as one character each', () => {
    // Each of these is 2 UTF-16 code units but 1 code point.
    expect(checkPassword('🐙🦊🐢🦉🐝🦀🐬', noUser)).toBe('too_short');
    expect(checkPassword('🐙🦊🐢🦉🐝🦀🐬🦔', noUser)).toBeNull();
  });

  it('length is counted after NFKC normalisation', () => {
    // "e" + combining acute accent is 2 code points, but NFKC makes it one "é".
    const decomposed = 'e\u0301';
    expect(checkPassword(decomposed.repeat(7), noUser)).toBe('too_short');
    expect(checkPassword(decomposed.repeat(8), noUser)).toBeNull();
  });

  it('imposes no composition rules: all lower-case letters are fine', () => {
    expect(checkPassword('correct horse battery staple', noUser)).toBeNull();
  });
});

describe('common passwords', () => {
  it('the blocklist holds at least 10,000 entries', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it("'password' and 'Password123!' are refused as common", () => {
    expect(checkPassword('password', noUser)).toBe('common');
    expect(checkPassword('Password123!', noUser)).toBe('common');
    expect(checkPassword('PASSWORD', noUser)).toBe('common');
  });

  it('common Swedish, Finnish and Polish passwords are refused, with digits, a year or a capital', () => {
    for (const pw of [
      'sommar123',
      'Sommar2024!',
      'lösenord1',
      'Losenord123',
      'vinter2024',
      'hejhej123',
      'Hammarby1897',
      'djurgården2025',
      'salasana1',
      'kesä2024',
      'Kissa1234',
      'haslo123',
      'hasło2024',
      'kochanie1',
      'Legia1916',
      'zaq12wsx',
      '1qaz2wsx',
      'asdfghjklöä',
      'qwerty123',
      'måndag123',
    ]) {
      expect(checkPassword(pw, noUser), pw).toBe('common');
    }
    // A sentence with such words in it is no common password.
    expect(checkPassword('sommar i stugan med mormor', noUser)).toBeNull();
  });

  it('other well-known passwords are refused', () => {
    for (const pw of ['12345678', 'qwertyuiop', 'iloveyou', 'baseball1', 'trustno1!', 'football2024']) {
      expect(checkPassword(pw, noUser), pw).toBe('common');
    }
  });

  it('a password made only of digits is not stripped down to nothing', () => {
    expect(checkPassword('80417396', noUser)).toBeNull();
  });
});

describe('username', () => {
  it('a password containing the username is refused, whatever the case', () => {
    expect(checkPassword('my-Anna.Berg-secret', { username: 'anna.berg' })).toBe('contains_username');
    expect(checkPassword('xANNA.BERGx', { username: 'Anna.Berg' })).toBe('contains_username');
  });

  it('a password not containing the username is accepted', () => {
    expect(checkPassword('violet kettle drum', { username: 'anna.berg' })).toBeNull();
  });

  it('usernames shorter than 3 characters are not checked', () => {
    expect(checkPassword('violet al kettle', { username: 'al' })).toBeNull();
    expect(checkPassword('violet ali kettle', { username: 'ali' })).toBe('contains_username');
  });
});

describe('messages', () => {
  it('has a plain-words message for every problem in English and Swedish', () => {
    const problems: PasswordProblem[] = ['too_short', 'too_long', 'common', 'contains_username'];
    for (const problem of problems) {
      expect(passwordProblemMessage(problem, 'en')).toMatch(/\w/);
      expect(passwordProblemMessage(problem, 'sv')).toMatch(/\w/);
      expect(passwordProblemMessage(problem, 'sv')).not.toBe(passwordProblemMessage(problem, 'en'));
    }
    expect(passwordProblemMessage('too_short', 'en')).toBe('Use at least 8 characters. 15 or more is better.');
    expect(passwordProblemMessage('too_short', 'sv')).toBe('Använd minst 8 tecken. 15 eller fler är bättre.');
    expect(passwordProblemMessage('contains_username', 'en')).toMatch(/username/);
    expect(passwordProblemMessage('contains_username', 'sv')).toMatch(/användarnamn/);
  });
});

describe('hashing', () => {
  it('hash then verify round-trips and a wrong password fails', async () => {
    const hash = await hashPassword('violet kettle drum');
    expect(await verifyPassword(hash, 'violet kettle drum')).toBe(true);
    expect(await verifyPassword(hash, 'violet kettle drums')).toBe(false);
  });

  it('the hash is Argon2id with m=19456,t=2,p=1 and a fresh salt each time', async () => {
    const a = await hashPassword('violet kettle drum');
    const b = await hashPassword('violet kettle drum');
    expect(a.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('a password verifies whatever its Unicode normalisation form', async () => {
    const hash = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword(hash, 'cafe\u0301 au lait')).toBe(true);
  });

  it('a malformed hash verifies as false', async () => {
    expect(await verifyPassword('', 'violet kettle drum')).toBe(false);
    expect(await verifyPassword('not a hash', 'violet kettle drum')).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$garbage', 'violet kettle drum')).toBe(false);
  });
});
