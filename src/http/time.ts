// Dates on pages: one <time> element (machine-readable ISO, human-readable local text) for the
// admin's pages and the frontline alike, in the server's time zone.
import { html, type SafeHtml } from './html.js';
import type { Locale } from './i18n.js';

const INTL_LOCALE: Record<Locale, string> = { en: 'en-GB', sv: 'sv-SE' };

/** Date and time, e.g. "1 Jan 2026, 09:00" / "1 jan. 2026 09:00". */
export function formatDateTime(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

export function formatDate(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: 'medium' }).format(new Date(ms));
}

/** A <time> element: machine-readable ISO, human-readable local text. */
export function timeElement(locale: Locale, ms: number, options: { dateOnly?: boolean } = {}): SafeHtml {
  const text = options.dateOnly ? formatDate(locale, ms) : formatDateTime(locale, ms);
  return html`<time datetime="${new Date(ms).toISOString()}">${text}</time>`;
}
