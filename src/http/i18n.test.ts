import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CATALOGS, defineMessages, localeFromAcceptLanguage, pickLocale } from './i18n.js';
import { LABELS } from './labels.js';

const SRC = fileURLToPath(new URL('../', import.meta.url));

/** Every source module that defines a message catalog (found by reading the tree, so new pages count). */
function catalogModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return catalogModules(full);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) return [];
    return readFileSync(full, 'utf8').includes('defineMessages(') && !full.endsWith(path.join('http', 'i18n.ts')) ? [full] : [];
  });
}

function request(headers: Record<string, string>, cookies: Record<string, string> = {}): FastifyRequest {
  return { headers, cookies } as unknown as FastifyRequest;
}

describe('i18n', () => {
  it('every message catalog has the same keys in English and Swedish, none empty by mistake', async () => {
    const modules = catalogModules(SRC);
    expect(modules.length).toBeGreaterThanOrEqual(3);
    for (const file of modules) await import(pathToFileURL(file).href);
    expect(CATALOGS.length).toBeGreaterThanOrEqual(modules.length);
    for (const catalog of CATALOGS) {
      expect(Object.keys(catalog.sv).sort()).toEqual(Object.keys(catalog.en).sort());
      for (const key of Object.keys(catalog.en)) {
        // Placeholders match too: a Swedish text cannot lose the {date} the English one shows.
        const names = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
        expect(names(catalog.sv[key]!), key).toEqual(names(catalog.en[key]!));
        expect(catalog.en[key] === '', key).toBe(catalog.sv[key] === '');
      }
    }
  });

  it('has the contract labels of SPEC §5', () => {
    expect(LABELS.en).toMatchObject({ signIn: 'Sign in', accessCode: 'Access code', troubleSigningIn: 'Trouble signing in?', haveAccessCode: 'Have an access code?', people: 'People', moreOptions: 'More options', getAccessCode: 'Get access code', getAccessCodes: 'Get access codes', deactivateAccessCode: 'Deactivate access code', auditLog: 'Audit log' });
    expect(LABELS.sv).toMatchObject({ signIn: 'Logga in', accessCode: 'Åtkomstkod', troubleSigningIn: 'Problem att logga in?', haveAccessCode: 'Har du en åtkomstkod?', people: 'Personer', moreOptions: 'Fler alternativ', getAccessCode: 'Hämta åtkomstkod', getAccessCodes: 'Hämta åtkomstkoder', deactivateAccessCode: 'Inaktivera åtkomstkod', auditLog: 'Granskningslogg' });
  });

  it('picks Swedish for sv, sv-SE and sv-FI, by q-value, and English otherwise', () => {
    expect(localeFromAcceptLanguage('sv')).toBe('sv');
    expect(localeFromAcceptLanguage('sv-SE,sv;q=0.9,en-US;q=0.8')).toBe('sv');
    expect(localeFromAcceptLanguage('fi-FI, sv-FI;q=0.7, en;q=0.5')).toBe('sv');
    expect(localeFromAcceptLanguage('en;q=0.9, sv;q=0.4')).toBe('en');
    expect(localeFromAcceptLanguage('sv;q=0, en;q=0.1')).toBe('en');
    expect(localeFromAcceptLanguage('de, fr')).toBeNull();
    expect(localeFromAcceptLanguage('')).toBeNull();
    expect(pickLocale(request({ 'accept-language': 'sv-SE' }))).toBe('sv');
    expect(pickLocale(request({ 'accept-language': 'sv-SE' }, { keyslip_lang: 'en' }))).toBe('en');
    expect(pickLocale(request({ 'accept-language': 'sv-SE' }, { keyslip_lang: 'de' }))).toBe('sv');
    expect(pickLocale(request({}))).toBe('en');
  });

  it('fills {name} placeholders and leaves unknown ones visible', () => {
    const t = defineMessages({ en: { hi: 'Hello {name}, {missing}' }, sv: { hi: 'Hej {name}, {missing}' } });
    expect(t('sv', 'hi', { name: 'Åsa' })).toBe('Hej Åsa, {missing}');
    expect(t('en', 'hi')).toBe('Hello {name}, {missing}');
  });
});
