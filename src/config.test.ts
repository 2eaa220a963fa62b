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

describe('the signing-key check interval', () => {
  it('is 30 seconds unless KEYSLIP_OIDC_KEY_CHECK_SECONDS says otherwise, from 1 to 3600', () => {
    expect(loadConfig({ KEYSLIP_SECRET: SECRET }, '/tmp').oidcKeyCheckSeconds).toBe(30);
    expect(
      loadConfig({ KEYSLIP_SECRET: SECRET, KEYSLIP_OIDC_KEY_CHECK_SECONDS: '1' }, '/tmp').oidcKeyCheckSeconds,
    ).toBe(1);
    expect(() => loadConfig({ KEYSLIP_SECRET: SECRET, KEYSLIP_OIDC_KEY_CHECK_SECONDS: '0' }, '/tmp')).toThrow(
      /KEYSLIP_OIDC_KEY_CHECK_SECONDS must be a whole number from 1 to 3600/,
    );
  });
});
