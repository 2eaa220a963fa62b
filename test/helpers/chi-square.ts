// How evenly letters of the code alphabet are spread, for the tests of code generation.
import { ALPHABET } from '../../src/access-codes/access-code.js';

/**
 * Chi-square critical value for 19 degrees of freedom (20 letters). P(χ²₁₉ > 65.0) ≈ 6.1e-7, so
 * a correct generator fails this test less than once in a million runs. (60.0 would be ≈ 3.9e-6.)
 */
export const CHI_SQUARE_LIMIT = 65.0;
export const LETTERS_SAMPLED = 200_000;

export function chiSquare(letters: Iterable<string>): {
  statistic: number;
  counts: Map<string, number>;
  total: number;
} {
  const counts = new Map<string, number>([...ALPHABET].map((letter) => [letter, 0]));
  let total = 0;
  for (const letter of letters) {
    counts.set(letter, (counts.get(letter) ?? 0) + 1);
    total += 1;
  }
  const expected = total / ALPHABET.length;
  let statistic = 0;
  for (const count of counts.values()) statistic += (count - expected) ** 2 / expected;
  return { statistic, counts, total };
}
