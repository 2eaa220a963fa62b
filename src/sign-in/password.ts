// Password policy and password hashing.
//
// The policy follows NIST SP 800-63B (memorised secrets):
//   - length is counted in Unicode code points after NFKC normalisation,
//     so an emoji or an accented letter counts as one character;
//   - at least MIN_PASSWORD_LENGTH, at most MAX_PASSWORD_LENGTH;
//   - no composition rules (no "must contain a digit and a capital");
//   - refused if it is a commonly used password (the shipped blocklist);
//   - refused if it contains the username.
//
// Hashing is Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane).

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Options as Argon2Options } from '@node-rs/argon2';
import type { Locale } from '../lib/messages.js';
import { describeProblem, type FieldProblem } from '../problems.js';

export const MIN_PASSWORD_LENGTH = 8;
export const RECOMMENDED_PASSWORD_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 128;

/** Shortest username that is checked for inside the password. */
const MIN_USERNAME_LENGTH_TO_CHECK = 3;

/**
 * Any string longer than this (in UTF-16 code units) is refused as too long
 * before it is normalised, so a multi-megabyte body cannot make us run NFKC
 * over it. NFKC composes at most about 4 code points into 1, so nothing this
 * long can come out at MAX_PASSWORD_LENGTH code points or fewer.
 */
const RAW_LENGTH_CUTOFF = 32 * MAX_PASSWORD_LENGTH;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username';

// ---------------------------------------------------------------------------
// Blocklist

/**
 * The blocklist's files (common-passwords.SOURCE.md): the common passwords of English-language
 * breaches, and our own list of the common Swedish, Finnish and Polish ones (seasons, names,
 * clubs, keyboard walks) that the first misses, such as "sommar123".
 */
const BLOCKLIST_FILES = ['common-passwords.txt', 'common-passwords-local.txt'] as const;

/**
 * Where a blocklist file is. Beside this module when running from `src` (tests,
 * tsx). The build (`tsc`, into `dist/src`) does not copy .txt files, so from
 * `dist/src/sign-in/` we fall back to the same file in the source tree.
 */
function blocklistPath(file: string): string {
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../../../src/sign-in/${file}`, import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `Password blocklist ${file} not found; looked in: ${candidates.map((u) => fileURLToPath(u)).join(', ')}`,
  );
}

let blocklist: Set<string> | null = null;

/**
 * The blocklist, read once on first use (about 150 KB, read synchronously;
 * call commonPasswordCount() at start-up to take that cost early).
 */
function commonPasswords(): Set<string> {
  if (blocklist === null) {
    const set = new Set<string>();
    for (const file of BLOCKLIST_FILES) {
      for (const line of readFileSync(blocklistPath(file), 'utf8').split('\n')) {
        const word = line.trim().normalize('NFKC').toLowerCase();
        if (word !== '') set.add(word);
      }
    }
    blocklist = set;
  }
  return blocklist;
}

/** Throws, naming where it looked, when a blocklist file is missing (a server checks before it listens). */
export function assertBlocklistFound(): void {
  for (const file of BLOCKLIST_FILES) blocklistPath(file);
}

/** Number of distinct entries in the blocklist (loads it if needed). */
export function commonPasswordCount(): number {
  return commonPasswords().size;
}

/**
 * True if the (already NFKC-normalised, lower-cased) password is a common one.
 * Besides the exact match we also try the password with trailing digits and
 * `!` stripped, so "password123!" is refused like "password". Nothing else is
 * stripped or rewritten (no leetspeak, no leading digits): keep it simple.
 */
function isCommon(lowered: string): boolean {
  const list = commonPasswords();
  if (list.has(lowered)) return true;
  const stripped = lowered.replace(/[0-9!]+$/u, '');
  return stripped !== '' && stripped !== lowered && list.has(stripped);
}

// ---------------------------------------------------------------------------
// Policy

function codePointLength(s: string): number {
  return [...s].length;
}

/**
 * Checks a new password against the policy. Returns the first problem found
 * or null if the password is acceptable.
 */
export function checkPassword(password: string, options: { username: string | null }): PasswordProblem | null {
  if (password.length > RAW_LENGTH_CUTOFF) return 'too_long';

  const normalised = password.normalize('NFKC');
  const length = codePointLength(normalised);
  if (length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';

  const lowered = normalised.toLowerCase();
  if (isCommon(lowered)) return 'common';

  const username = options.username?.trim().normalize('NFKC').toLowerCase() ?? '';
  if (codePointLength(username) >= MIN_USERNAME_LENGTH_TO_CHECK && lowered.includes(username)) {
    return 'contains_username';
  }
  return null;
}

/** A policy problem as a field problem; its words are problemText's `password_…` (src/problems.ts). */
export function passwordFieldProblem(problem: PasswordProblem): FieldProblem {
  if (problem === 'too_short') {
    const params = { min: MIN_PASSWORD_LENGTH, recommended: RECOMMENDED_PASSWORD_LENGTH };
    return { field: 'password', code: 'password_too_short', params };
  }
  if (problem === 'too_long')
    return { field: 'password', code: 'password_too_long', params: { max: MAX_PASSWORD_LENGTH } };
  return { field: 'password', code: `password_${problem}` };
}

/** A plain-words message for a policy problem, in English or Swedish. */
export function passwordProblemMessage(problem: PasswordProblem, locale: Locale): string {
  return describeProblem(locale, passwordFieldProblem(problem));
}

// ---------------------------------------------------------------------------
// Hashing

// `Algorithm` is an ambient const enum in @node-rs/argon2's typings, which
// cannot be read as a value under `isolatedModules`; 2 is Argon2id.
const ARGON2ID: Algorithm.Argon2id = 2;

/** OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. */
const ARGON2_OPTIONS: Argon2Options = {
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * At most one hash per CPU runs at a time. Argon2 is CPU-bound: more at once than there are CPUs
 * only adds contention (on 2 CPUs, 4 at once verified about 10% fewer per second than 2), and it
 * would hold every libuv pool thread, which file reads need too. Callers wait their turn, but
 * only so many: an unbounded queue let a flood of sign-ins from one address push a real sign-in
 * seconds back. Past MAX_WAITING_HASHES the caller gets HashQueueFullError at once (503).
 */
const MAX_CONCURRENT_HASHES = Math.max(1, availableParallelism());
export const MAX_WAITING_HASHES = 2 * MAX_CONCURRENT_HASHES;
let hashesRunning = 0;
const waitingForHash: (() => void)[] = [];

/** Too many hashes are waiting already; try again in a moment. */
export class HashQueueFullError extends Error {
  constructor() {
    super('password hashing queue full');
    this.name = 'HashQueueFullError';
  }
}

/** Hashes running and waiting, for /metrics and tests. */
export function hashQueueLength(): { running: number; waiting: number } {
  return { running: hashesRunning, waiting: waitingForHash.length };
}

/** Whether a hash asked for now would run or wait, rather than be refused. */
export function hashQueueHasRoom(): boolean {
  return hashesRunning < MAX_CONCURRENT_HASHES || waitingForHash.length < MAX_WAITING_HASHES;
}

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashesRunning < MAX_CONCURRENT_HASHES) hashesRunning += 1;
  else if (waitingForHash.length >= MAX_WAITING_HASHES) throw new HashQueueFullError();
  else await new Promise<void>((resolve) => waitingForHash.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes straight to the next caller waiting, if any.
    const next = waitingForHash.shift();
    if (next) next();
    else hashesRunning -= 1;
  }
}

/**
 * Hashes a password to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`),
 * with a fresh random salt. The password is NFKC-normalised first (as
 * SP 800-63B advises), and verifyPassword does the same.
 *
 * @node-rs/argon2's async functions run on the libuv thread pool, i.e. off the
 * event loop; each hash uses 19 MiB and a few tens of ms of one pool thread.
 */
export async function hashPassword(password: string): Promise<string> {
  const normalised = password.normalize('NFKC');
  return withHashSlot(() => argon2Hash(normalised, ARGON2_OPTIONS));
}

/**
 * True if `password` matches `hash`. Returns false, never throws, for a
 * malformed or unsupported hash, and false for input far longer than any
 * password the policy accepts. Runs on the libuv thread pool like
 * hashPassword. The parameters are read from the hash itself, so hashes made
 * with older parameters still verify. Throws HashQueueFullError (only) when the queue is full.
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  // No accepted password is this long; skip the work for oversized input.
  if (password.length > RAW_LENGTH_CUTOFF) return false;
  try {
    const normalised = password.normalize('NFKC');
    return await withHashSlot(() => argon2Verify(hash, normalised));
  } catch (error) {
    if (error instanceof HashQueueFullError) throw error;
    return false;
  }
}
