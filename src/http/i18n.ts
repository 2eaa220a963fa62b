// Languages: English and Swedish. The visitor's choice (the keyslip_lang cookie, set by the
// switch on every page) wins; else the browser's Accept-Language; else English. Each page
// module owns its own message catalog (defineMessages), so no one file collects every string.
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';

export type Locale = 'en' | 'sv';
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

export type Vars = Record<string, string | number>;
export type Translate<K extends string> = ((locale: Locale, key: K, vars?: Vars) => string) & {
  readonly catalog: { readonly en: Readonly<Record<K, string>>; readonly sv: Readonly<Record<K, string>> };
};

/** Replaces `{name}` placeholders; an unknown placeholder stays as written, so it shows in tests. */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** Every catalog defined so far (a test checks that each has the same keys in every language). */
export const CATALOGS: { readonly en: Readonly<Record<string, string>>; readonly sv: Readonly<Record<string, string>> }[] = [];

/** A page's messages: the same keys in both languages (the types insist, and a test checks). */
export function defineMessages<K extends string>(catalog: { en: Record<K, string>; sv: Record<K, string> }): Translate<K> {
  CATALOGS.push(catalog);
  const t = ((locale: Locale, key: K, vars?: Vars): string => interpolate(catalog[locale][key] ?? catalog.en[key] ?? key, vars)) as Translate<K>;
  Object.defineProperty(t, 'catalog', { value: catalog, enumerable: true });
  return t;
}
