// Settings derived from KEYSLIP_BASE_URL are computed once, in loadConfig, for every reader.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const SECRET = 'test-secret-test-secret-test-secret-0001';

describe('derived settings', () => {
  it('an https address makes cookies secure and gives the access-code page its full address', () => {
    const config = loadConfig({ KEYSLIP_BASE_URL: 'https://keys.example.org/', KEYSLIP_SECRET: SECRET }, '/tmp');
    expect(config.secureCookies).toBe(true);
    expect(config.accessCodeUrl).toBe('https://keys.example.org/work/accesscode');
  });

  it('a plain-http address (a laptop) does not', () => {
    const config = loadConfig({ KEYSLIP_BASE_URL: 'http://127.0.0.1:3000', KEYSLIP_SECRET: SECRET }, '/tmp');
    expect(config.secureCookies).toBe(false);
    expect(config.accessCodeUrl).toBe('http://127.0.0.1:3000/work/accesscode');
  });
});
