import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHI_SQUARE_LIMIT, chiSquare } from '../../test/helpers/chi-square.js';
import { createKeyring } from '../lib/keyring.js';
import { hashAccessCode } from './access-code.js';
import { type DrawnCode, hashOrderedCodes } from './code-runs.js';

const key = createKeyring(['code runs test secret, long enough to be a secret']).current;

/** Where a hash falls in the index's order: its first two characters, by character code. */
const placeOf = (hash: string) => hash.charCodeAt(0) * 128 + hash.charCodeAt(1);

function expectValid(codes: readonly DrawnCode[]): void {
  for (const drawn of codes) {
    expect(drawn.code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{16}$/);
    expect(drawn.hash).toBe(hashAccessCode(key, drawn.code));
    expect(drawn.keyId).toBe(key.id);
  }
}

function expectInIndexOrder(codes: readonly DrawnCode[]): void {
  const places = codes.map((drawn) => placeOf(drawn.hash));
  expect(places).toEqual([...places].sort((a, b) => a - b));
}

/** The CSPRNG, counting its calls: a code draws its letters in one call (32 bytes) but for odds of about 1e-12. */
function countedRandom(): { random: (size: number) => Buffer; calls: () => number } {
  let calls = 0;
  return {
    random: (size) => {
      calls += 1;
      return randomBytes(size);
    },
    calls: () => calls,
  };
}

describe('a bulk issue’s codes, in the order of their hash', () => {
  it('are valid codes hashed under the key, all different, as many as asked for', () => {
    const codes = hashOrderedCodes(key);
    const taken: DrawnCode[][] = [];
    for (const count of [2000, 500, 4000, 9000]) {
      taken.push(codes.take(count));
      codes.drawAhead(2 * count);
    }
    expect(taken.map((some) => some.length)).toEqual([2000, 500, 4000, 9000]);
    const all = taken.flat();
    expectValid(all);
    expect(new Set(all.map((drawn) => drawn.code)).size).toBe(all.length);
  });

  it('come a run at a time in the index’s order, so a chunk writes to one stretch of it', () => {
    // The first take is one run of exactly what it asks for; the next run is as large as what
    // was handed out before it (2,000), so the second take's 2,000 are that run, whole.
    const codes = hashOrderedCodes(key);
    const first = codes.take(2000);
    codes.drawAhead(1000);
    const second = codes.take(2000);
    expectInIndexOrder(first);
    expectInIndexOrder(second);
    expect(placeOf(first[0]!.hash)).toBeLessThan(placeOf(first.at(-1)!.hash));
  });

  it('in an order that says nothing about the codes: the lowest hashes’ letters are as even as any', () => {
    // The first quarter of a run of 50,000 in hash order: 12,500 codes, 200,000 letters.
    const run = hashOrderedCodes(key).take(50_000);
    const lowest = run.slice(0, 12_500);
    expect(placeOf(lowest.at(-1)!.hash)).toBeLessThan(placeOf(run.at(-1)!.hash));
    expect(chiSquare(lowest.flatMap((drawn) => [...drawn.code])).statistic).toBeLessThan(CHI_SQUARE_LIMIT);
    // And the first letter alone, 12,500 of them, across the run's order.
    expect(chiSquare(lowest.map((drawn) => drawn.code[0]!)).statistic).toBeLessThan(CHI_SQUARE_LIMIT);
  });

  it('a small batch draws only the codes it hands out', () => {
    const { random, calls } = countedRandom();
    expect(hashOrderedCodes(key, random).take(10)).toHaveLength(10);
    expect(calls()).toBe(10);
  });

  it('drawn ahead between chunks, the next run costs a take nothing', () => {
    const { random, calls } = countedRandom();
    const codes = hashOrderedCodes(key, random);
    codes.take(3000);
    codes.drawAhead(2000);
    codes.drawAhead(2000);
    const before = calls();
    expect(before).toBe(3000 + 3000);
    expectValid(codes.take(3000));
    expect(calls()).toBe(before);
    // Not drawn ahead: the next run (6,000 codes) is drawn in the take that needs it.
    codes.take(1);
    expect(calls()).toBe(before + 6000);
  });
});
