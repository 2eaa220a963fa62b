// The one timing comparison in the suite, because it is a security property and not a speed
// target: a random (unknown) code and a real but used code are answered in the same time, so the
// answer's speed does not tell an attacker that a guess was once a real code. Both paths do the
// same database work (one lookup by keyed hash, two counter upserts, one audit row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../src/audit/audit.js';
import { generateAccessCode } from '../../src/access-codes/access-code.js';
import {
  AUDITED_FAILURES_PER_MINUTE,
  checkAccessCode,
  issueAccessCode,
  redeemAccessCode,
} from '../../src/access-codes/access-codes.service.js';
import { AppError } from '../../src/errors.js';
import { createPerson } from '../../src/people/people.service.js';
import { createTestContext, type TestContext } from '../helpers/deps.js';
import { PASSWORD } from './support.js';

const TRIES = 1000;
const client = { ip: '192.0.2.60', userAgent: 'timing' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe('answer time', () => {
  let context: TestContext;
  let usedCode: string;

  beforeAll(async () => {
    context = await createTestContext('sqlite', { env: { KEYSLIP_RATE_CODE_FAILURES: '1000000' } });
    const person = await createPerson(context.deps, { name: 'Used Code', username: 'used.code' }, CLI_ACTOR);
    usedCode = (await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR })).code;
    await redeemAccessCode(context.deps, { code: usedCode, username: 'used.code', password: PASSWORD, client });
  });
  afterAll(async () => {
    await context.close();
  });

  /** Milliseconds for one refused check; the refusal must be the uniform one. */
  async function timeCheck(code: string): Promise<number> {
    const start = process.hrtime.bigint();
    const error = await checkAccessCode(context.deps, { code, client }).then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('code_unusable');
    return elapsed;
  }

  it(`is the same for a random code and a used real code (medians of ${TRIES} interleaved tries each)`, async () => {
    // Warm up both paths (JIT, statement cache), then measure in interleaved, shuffled pairs so
    // drift (a growing audit table, other processes) hits both sides alike.
    for (let i = 0; i < 100; i += 1) {
      await timeCheck(generateAccessCode());
      await timeCheck(usedCode);
    }
    const unknown: number[] = [];
    const used: number[] = [];
    for (let i = 0; i < TRIES; i += 1) {
      if (Math.random() < 0.5) {
        unknown.push(await timeCheck(generateAccessCode()));
        used.push(await timeCheck(usedCode));
      } else {
        used.push(await timeCheck(usedCode));
        unknown.push(await timeCheck(generateAccessCode()));
      }
    }
    const unknownMedian = median(unknown);
    const usedMedian = median(used);
    const bound = Math.max(0.5, 0.25 * Math.max(unknownMedian, usedMedian));
    console.log(
      `check answer time: unknown ${unknownMedian.toFixed(3)} ms, used ${usedMedian.toFixed(3)} ms (median), ` +
        `allowed gap ${bound.toFixed(3)} ms`,
    );
    expect(Math.abs(unknownMedian - usedMedian)).toBeLessThan(bound);

    // Both were audited alike: same action, the reason kept for admins only.
    const reasons = await context.deps.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'access_code.failed')
      .execute();
    const counts = new Map<string, number>();
    for (const row of reasons) {
      const reason = (JSON.parse(row.details) as { reason: string }).reason;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    // The first AUDITED_FAILURES_PER_MINUTE failures of a minute are written one by one (the clock
    // stands still here: the warm-up's alternating pairs), the rest are tallied: alike for both.
    expect(counts.get('unknown')).toBe(AUDITED_FAILURES_PER_MINUTE / 2);
    expect(counts.get('used')).toBe(AUDITED_FAILURES_PER_MINUTE / 2);
  });
});
