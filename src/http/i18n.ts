// Languages: English and Swedish. The visitor's choice (the keyslip_lang cookie, set by the
// switch on every page) wins; else the browser's Accept-Language; else English. Each page
// module owns its own message catalogue (defineMessages); src/catalogues.ts lists them all.
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Locale } from '../lib/messages.js';

export type { Locale };
export const LOCALES: readonly Locale[] = ['en', 'sv'];
export const DEFAULT_LOCALE: Locale = 'en';
export const LANG_COOKIE = 'keyslip_lang';

/** The names of the languages in their own language, for the switch. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', sv: 'Svenska' };

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'sv';
}

/** The best supported language of an Accept-Language header, by q-value; null when none fits. */
export function localeFromAcceptLanguage(header: string | undefined): Locale | null {
  if (!header) return null;
  let best: { locale: Locale; q: number; index: number } | null = null;
  header.split(',').forEach((part, index) => {
    const [tag, ...params] = part.trim().split(';');
    const primary = tag?.trim().toLowerCase().split('-')[0];
    if (!isLocale(primary)) return;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (!Number.isFinite(q) || q <= 0) return;
    if (!best || q > best.q) best = { locale: primary, q, index };
  });
  return (best as { locale: Locale } | null)?.locale ?? null;
}

export function pickLocale(request: FastifyRequest): Locale {
  // Over https the cookie is `__Host-keyslip_lang` (see cookieName in cookies.ts). This reads
  // either name, as it has no config at hand: the worst a planted bare cookie can do is pick a
  // language.
  const cookie = request.cookies?.[`__Host-${LANG_COOKIE}`] ?? request.cookies?.[LANG_COOKIE];
  if (isLocale(cookie)) return cookie;
  const header = request.headers['accept-language'];
  return localeFromAcceptLanguage(typeof header === 'string' ? header : undefined) ?? DEFAULT_LOCALE;
}

// The catalogue machinery lives in lib/ (no HTTP in it); re-exported here for the pages.
export { defineMessages, interpolate, type Catalogue, type Translate, type Vars } from '../lib/messages.js';
