// Words in two languages. A catalogue is a pair of records with the same keys, English and
// Swedish; `defineMessages` turns it into a function `(locale, key, vars) → text`. This file
// knows nothing of HTTP, so a service can word a problem without importing the edge.
// Every catalogue is listed in src/catalogues.ts, where a test checks that both languages match.

export type Locale = 'en' | 'sv';

export type Vars = Record<string, string | number>;

export interface Catalogue<K extends string = string> {
  readonly en: Readonly<Record<K, string>>;
  readonly sv: Readonly<Record<K, string>>;
}

export type Translate<K extends string> = ((locale: Locale, key: K, vars?: Vars) => string) & {
  readonly catalog: Catalogue<K>;
};

/** Replaces `{name}` placeholders; an unknown placeholder stays as written, so it shows in tests. */
export function interpolate(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/**
 * A catalogue's translate function: the same keys in both languages (the types insist, and the
 * parity test in src/http/i18n.test.ts checks every catalogue listed in src/catalogues.ts).
 */
export function defineMessages<K extends string>(catalog: {
  en: Record<K, string>;
  sv: Record<K, string>;
}): Translate<K> {
  const translate = (locale: Locale, key: K, vars?: Vars): string =>
    interpolate(catalog[locale][key] ?? catalog.en[key] ?? key, vars);
  Object.defineProperty(translate, 'catalog', { value: catalog, enumerable: true });
  return translate as Translate<K>;
}
