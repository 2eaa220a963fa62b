import { describe, expect, it } from 'vitest';
import { SeenKeys } from './seen-keys.js';

describe('SeenKeys', () => {
  it('answers what was set, and undefined for what was not', () => {
    const seen = new SeenKeys();
    expect(seen.get('username:anna')).toBeUndefined();
    seen.set('username:anna', 0);
    seen.set('email:anna@example.se', 7);
    seen.set('', 3);
    seen.set('username:李建国', 12);
    expect(seen.get('username:anna')).toBe(0);
    expect(seen.get('email:anna@example.se')).toBe(7);
    expect(seen.get('')).toBe(3);
    expect(seen.get('username:李建国')).toBe(12);
    expect(seen.get('username:Anna')).toBeUndefined();
    expect(seen.get('employee id:anna')).toBeUndefined();
    seen.set('username:anna', 99);
    expect(seen.get('username:anna')).toBe(99);
    expect(seen.size).toBe(4);
  });

  it('keeps every key through many growths, and finds none of as many others', () => {
    const seen = new SeenKeys();
    const count = 300_000;
    for (let i = 0; i < count; i++) seen.set(`employee id:E${i}`, i + 1);
    expect(seen.size).toBe(count);
    let wrong = 0;
    for (let i = 0; i < count; i++) if (seen.get(`employee id:E${i}`) !== i + 1) wrong += 1;
    for (let i = count; i < 2 * count; i++) if (seen.get(`employee id:E${i}`) !== undefined) wrong += 1;
    for (let i = 0; i < count; i++) if (seen.get(`username:E${i}`) !== undefined) wrong += 1;
    expect(wrong).toBe(0);
  });
});
