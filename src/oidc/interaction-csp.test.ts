// The CSP source an app's sign-in adds to form-action: the redirect URI's origin only.
import { describe, expect, it } from 'vitest';
import { formActionSourceOf } from './interaction-csp.js';

describe('formActionSourceOf', () => {
  it('is the origin of a web redirect URI, the scheme of a native one, and nothing otherwise', () => {
    expect(formActionSourceOf('https://rota.example.org/cb?x=1')).toBe('https://rota.example.org');
    expect(formActionSourceOf('http://127.0.0.1:8080/callback')).toBe('http://127.0.0.1:8080');
    expect(formActionSourceOf('com.example.app:/callback')).toBe('com.example.app:');
    expect(formActionSourceOf('not a url')).toBeNull();
    expect(formActionSourceOf(undefined)).toBeNull();
    expect(formActionSourceOf(['https://a.example'])).toBeNull();
  });
});
