// A bulk issue's codes, drawn a run at a time and handed out in the order of their keyed hash.
//
// Each code is still drawn uniformly and independently (generateAccessCode, R1); only the order in
// which a batch hands them out changes, and as the hash is keyed, that order tells nothing about a
// code to anyone without the server secret. Written in that order, the codes of a chunk go into one
// stretch of the hash's unique index instead of onto a page each all over it, so each page of that
// index is read and written about once per run rather than once per chunk: on SQLite that was most
// of a bulk issue's I/O (the README's W2). PostgreSQL orders the index by the database's collation:
// the same order under C or C.UTF-8, another under a language's collation.
//
// The next run is drawn a slice at a time between the batch's chunks (drawAhead), each slice a
// turn of the event loop (an HMAC is about 2 µs); what is not drawn ahead when a take needs it
// (the first runs, which grow fastest) is drawn in that take. A worker thread was tried: 10 %
// faster, but it added about 45 MB to the server's peak memory.
import type { Key } from '../lib/keyring.js';
import { accessCodeDigest, CODE_LENGTH, generateAccessCode, pooledRandom } from './access-code.js';

/** A code for a bulk issue, with its keyed hash and the id of the key that made it. */
export interface DrawnCode {
  readonly code: string;
  readonly hash: string;
  readonly keyId: string;
}

/** The most codes in one run: 6 MB as a run holds them (48 bytes a code). */
export const MAX_CODE_RUN = 131_072;
/** An HMAC-SHA-256. */
const DIGEST_BYTES = 32;

/** The character code of each base64url digit: the hash is stored as base64url text. */
const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].map((c) => c.charCodeAt(0));

/** Where a digest falls in the index's order of its base64url text: by its first two digits. */
function placeOf(digests: Buffer, at: number): number {
  const first = BASE64URL[digests[at]! >> 2]!;
  const second = BASE64URL[((digests[at]! & 3) << 4) | (digests[at + 1]! >> 4)]!;
  return (first << 7) | second;
}

/**
 * A run being drawn: `size` new codes and their digests (48 bytes a code), drawn a slice at a
 * time, then ordered by the first two characters of their hash as the index orders text (by
 * character code); within those in any order: the run's codes then reach the index's pages in
 * order, which is all that matters here.
 */
class Run {
  readonly size: number;
  #drawn = 0;
  #ordered = false;
  #at = 0;
  #codes: Buffer;
  #digests: Buffer;
  readonly #places: Uint16Array;
  readonly #key: Pick<Key, 'hmac' | 'id'>;
  readonly #random: (size: number) => Buffer;

  constructor(key: Pick<Key, 'hmac' | 'id'>, size: number, random: (size: number) => Buffer) {
    this.size = size;
    this.#key = key;
    this.#random = random;
    this.#codes = Buffer.alloc(size * CODE_LENGTH);
    this.#digests = Buffer.alloc(size * DIGEST_BYTES);
    this.#places = new Uint16Array(size);
  }

  /** Draws up to `count` more of the run's codes, and puts the run in order once all are drawn. */
  draw(count: number): void {
    if (this.#ordered) return;
    const until = Math.min(this.size, this.#drawn + count);
    for (let i = this.#drawn; i < until; i++) {
      const code = generateAccessCode(this.#random);
      this.#codes.write(code, i * CODE_LENGTH, 'latin1');
      accessCodeDigest(this.#key, code).copy(this.#digests, i * DIGEST_BYTES);
      this.#places[i] = placeOf(this.#digests, i * DIGEST_BYTES);
    }
    this.#drawn = until;
    if (until === this.size) this.#order();
  }

  #order(): void {
    this.#ordered = true;
    const starts = new Uint32Array(128 * 128 + 1);
    for (const place of this.#places) starts[place + 1]! += 1;
    for (let place = 1; place < starts.length; place++) starts[place]! += starts[place - 1]!;
    const codes = Buffer.alloc(this.#codes.length);
    const digests = Buffer.alloc(this.#digests.length);
    for (let i = 0; i < this.size; i++) {
      const to = starts[this.#places[i]!]!++;
      this.#codes.copy(codes, to * CODE_LENGTH, i * CODE_LENGTH, (i + 1) * CODE_LENGTH);
      this.#digests.copy(digests, to * DIGEST_BYTES, i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES);
    }
    this.#codes = codes;
    this.#digests = digests;
  }

  get left(): number {
    return this.size - this.#at;
  }

  /** The next code in order; its hash is the digest as hashAccessCode writes it (base64url). */
  next(): DrawnCode {
    this.draw(this.size);
    const i = this.#at++;
    return {
      code: this.#codes.toString('latin1', i * CODE_LENGTH, (i + 1) * CODE_LENGTH),
      hash: this.#digests.toString('base64url', i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES),
      keyId: this.#key.id,
    };
  }
}

export interface CodeSource {
  /** The next `count` codes. */
  take(count: number): DrawnCode[];
  /**
   * Draws up to `count` codes of the next run, between chunks; whatever of it is not drawn when
   * the run is needed is drawn then.
   */
  drawAhead(count: number): void;
}

/**
 * The codes of one batch under `key`. A run holds as many codes as were handed out before it (at
 * least what is asked for, at most MAX_CODE_RUN). A batch of one chunk draws no more codes than it
 * hands out; a larger one may draw what is left of its last run and of the next, drawn ahead
 * (at most two runs; about 120,000 codes for 700,000 people).
 */
export function hashOrderedCodes(
  key: Pick<Key, 'hmac' | 'id'>,
  random: (size: number) => Buffer = pooledRandom(64 * 1024),
): CodeSource {
  let run = new Run(key, 0, random);
  let next: Run | null = null;
  let handedOut = 0;
  return {
    take(count) {
      const codes: DrawnCode[] = [];
      while (codes.length < count) {
        if (run.left === 0) {
          run = next ?? new Run(key, Math.max(count - codes.length, Math.min(MAX_CODE_RUN, handedOut)), random);
          next = null;
        }
        codes.push(run.next());
      }
      handedOut += count;
      return codes;
    },
    drawAhead(count) {
      if (handedOut === 0) return;
      next ??= new Run(key, Math.min(MAX_CODE_RUN, handedOut), random);
      next.draw(count);
    },
  };
}
