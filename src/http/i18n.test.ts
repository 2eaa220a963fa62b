import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../catalogues.js';
import { ERRORS } from '../errors.js';
import { describeProblem, PROBLEM_CODES, problemText } from '../problems.js';
import { defineMessages, localeFromAcceptLanguage, pickLocale } from './i18n.js';
import { LABELS } from './labels.js';

const SRC = fileURLToPath(new URL('../', import.meta.url));

/** The names of the catalogues the source defines (only to check that the list misses none). */
function definedCatalogues(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return definedCatalogues(full);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) return [];
    return [...readFileSync(full, 'utf8').matchAll(/const (\w+) = defineMessages\b/g)].map((match) => match[1]!);
  });
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();

function request(headers: Record<string, string>, cookies: Record<string, string> = {}): FastifyRequest {
  return { headers, cookies } as unknown as FastifyRequest;
}

describe('i18n', () => {
  it('every catalogue (pages, PDF slips, field problems, errors) has the same keys in English and Swedish', () => {
    expect(Object.keys(CATALOGUES)).toEqual(
      expect.arrayContaining(['errors', 'problemText', 'slipText', 'frontlineText']),
    );
    for (const [name, catalogue] of Object.entries(CATALOGUES)) {
      expect(Object.keys(catalogue.sv).sort(), name).toEqual(Object.keys(catalogue.en).sort());
      for (const key of Object.keys(catalogue.en)) {
        // Placeholders match too: a Swedish text cannot lose the {date} the English one shows.
        expect(placeholders(catalogue.sv[key]!), `${name}.${key}`).toEqual(placeholders(catalogue.en[key]!));
        expect(catalogue.en[key] === '', `${name}.${key}`).toBe(catalogue.sv[key] === '');
      }
    }
  });

  it('lists every catalogue the source defines, under its own name (fooText, never `m`)', () => {
    const defined = definedCatalogues(SRC);
    expect(defined.length).toBeGreaterThanOrEqual(12);
    for (const name of defined) {
      expect(name).toMatch(/Text$/);
      expect(Object.keys(CATALOGUES), name).toContain(name);
    }
    expect(Object.keys(CATALOGUES.errors!.en).sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('has words for every field problem code in both languages, and no English on the Swedish side', () => {
    expect(Object.keys(problemText.catalog.en).sort()).toEqual([...PROBLEM_CODES].sort());
    const identity = { field: 'employeeId', code: 'import_duplicate', params: { value: 'E-7', earlier: 3 } } as const;
    expect(describeProblem('en', identity)).toBe('Not imported: employee id "E-7" is also on line 3 of this file.');
    expect(describeProblem('sv', identity)).toBe(
      'Importerades inte: anställningsnummer "E-7" finns också på rad 3 i filen.',
    );
    expect(describeProblem('sv', { field: 'title', code: 'title_invalid' })).toBe('Högst 200 tecken, utan styrtecken.');
  });

  it('has the contract labels of SPEC §5', () => {
    expect(LABELS.en).toMatchObject({
      signIn: 'Sign in',
      accessCode: 'Access code',
      troubleSigningIn: 'Trouble signing in?',
      haveAccessCode: 'Have an access code?',
      people: 'People',
      moreOptions: 'More options',
      getAccessCode: 'Get access code',
      getAccessCodes: 'Get access codes',
      deactivateAccessCode: 'Deactivate access code',
      auditLog: 'Audit log',
    });
    expect(LABELS.sv).toMatchObject({
      signIn: 'Logga in',
      accessCode: 'Åtkomstkod',
      troubleSigningIn: 'Problem att logga in?',
      haveAccessCode: 'Har du en åtkomstkod?',
      people: 'Personer',
      moreOptions: 'Fler alternativ',
      getAccessCode: 'Hämta åtkomstkod',
      getAccessCodes: 'Hämta åtkomstkoder',
      deactivateAccessCode: 'Inaktivera åtkomstkod',
      auditLog: 'Granskningslogg',
    });
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
