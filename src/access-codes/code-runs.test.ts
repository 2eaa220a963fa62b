import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHI_SQUARE_LIMIT, chiSquare } from '../../test/helpers/chi-square.js';
import { ensureBuilt } from '../../test/helpers/server.js';
import { createKeyring } from '../lib/keyring.js';
import { hashAccessCode } from './access-code.js';
import { type CodeSource, type DrawnCode, hashOrderedCodes, WORKER_AFTER_CODES } from './code-runs.js';

// The worker runs compiled JavaScript: the one in dist/, built when stale (as the flow tests do).
const WORKER = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/src/access-codes/code-runs.worker.js'));
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

async function takeAll(source: CodeSource, counts: readonly number[], fromWorker = 0): Promise<DrawnCode[][]> {
  const taken: DrawnCode[][] = [];
  try {
    for (const count of counts) taken.push(await source.take(count));
  } finally {
    await source.close();
  }
  expect(source.runsFromWorker).toBe(fromWorker);
  return taken;
}

describe('a bulk issue’s codes, in the order of their hash', () => {
  it('are valid codes hashed under the key, all different, as many as asked for', async () => {
    const taken = await takeAll(hashOrderedCodes(key, { workerUrl: null }), [2000, 500, 4000, 9000]);
    expect(taken.map((codes) => codes.length)).toEqual([2000, 500, 4000, 9000]);
    const all = taken.flat();
    expectValid(all);
    expect(new Set(all.map((drawn) => drawn.code)).size).toBe(all.length);
  });

  it('come a run at a time in the index’s order, so a chunk writes to one stretch of it', async () => {
    // The first take is one run of exactly what it asks for; the next run is as large as what
    // was handed out before it (2,000), so the second take's 2,000 are that run, whole.
    const [first, second] = await takeAll(hashOrderedCodes(key, { workerUrl: null }), [2000, 2000]);
    expectInIndexOrder(first!);
    expectInIndexOrder(second!);
  });

  it('in an order that says nothing about the codes: the lowest hashes’ letters are as even as any', async () => {
    // The first quarter of a run of 50,000 in hash order: 12,500 codes, 200,000 letters.
    const [run] = await takeAll(hashOrderedCodes(key, { workerUrl: null }), [50_000]);
    const lowest = run!.slice(0, 12_500);
    expect(placeOf(lowest.at(-1)!.hash)).toBeLessThan(placeOf(run!.at(-1)!.hash));
    expect(chiSquare(lowest.flatMap((drawn) => [...drawn.code])).statistic).toBeLessThan(CHI_SQUARE_LIMIT);
    // And the first letter alone, 12,500 of them, across the run's order.
    const firstLetters = chiSquare(lowest.map((drawn) => drawn.code[0]!));
    expect(firstLetters.statistic).toBeLessThan(CHI_SQUARE_LIMIT);
  });

  describe('from the worker thread', () => {
    beforeAll(ensureBuilt, 200_000);

    it('hands out the runs the thread drew: valid, in order, all different', async () => {
      // After WORKER_AFTER_CODES, the next run (as many as handed out: 2,000) comes from the thread.
      // Then 6,000: the thread's next run (4,000), and 2,000 of a run drawn here, as the thread is
      // asked for the run after only once a take has ended.
      const source = hashOrderedCodes(key, { workerUrl: WORKER });
      const taken = await takeAll(source, [WORKER_AFTER_CODES, 2000, 6000], 2);
      const all = taken.flat();
      expect(all).toHaveLength(WORKER_AFTER_CODES + 8000);
      expectValid(all);
      expectInIndexOrder(taken[1]!);
      expect(new Set(all.map((drawn) => drawn.code)).size).toBe(all.length);
    });

    it('a thread that fails leaves the batch to draw its own codes', async () => {
      const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-code-runs-')), 'broken.mjs');
      fs.writeFileSync(broken, 'throw new Error("this worker cannot start");\n');
      const taken = await takeAll(hashOrderedCodes(key, { workerUrl: pathToFileURL(broken) }), [2000, 3000, 5000]);
      expect(taken.map((codes) => codes.length)).toEqual([2000, 3000, 5000]);
      expectValid(taken.flat());
    });
  });
});
