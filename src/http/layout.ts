// The page frame every HTML page shares: skip link, header (product, admin navigation, who is
// signed in and a sign-out button, the language switch) and <main id="main">. No inline script
// or style anywhere (the CSP forbids both): behaviour lives in /assets/*.js, looks in app.css.
import type { FastifyReply } from 'fastify';
import { ERRORS } from '../errors.js';
import type { Auth } from './auth.js';
import { csrfField } from './forms.js';
import { html, raw, type SafeHtml } from './html.js';
import { defineMessages, LOCALE_NAMES, LOCALES, type Locale } from './i18n.js';
import { labelText } from './labels.js';

export const PRODUCT_NAME = 'Keyslip';

/** Where the header's admin links go (the admin pages own these paths). */
export const ADMIN_NAV: readonly {
  path: string;
  label: 'people' | 'areas' | 'auditLog' | 'apiTokens' | 'apps';
  /** Shown to managers too (their People and audit log are narrowed to their areas, SPEC §9). */
  managers?: true;
}[] = [
  { path: '/admin/people', label: 'people', managers: true },
  { path: '/admin/areas', label: 'areas' },
  { path: '/admin/apps', label: 'apps' },
  { path: '/admin/audit', label: 'auditLog', managers: true },
  { path: '/admin/tokens', label: 'apiTokens' },
];

export const layoutText = defineMessages({
  en: {
    skipToContent: 'Skip to content',
    home: 'Keyslip home',
    adminNav: 'Admin',
    signedInAs: 'Signed in as {name}',
    signOut: 'Sign out',
    language: 'Language',
    errorTitle: 'Something went wrong',
    notFoundTitle: 'Page not found',
    notFoundText: 'There is no page at this address. Check the address, or go to the start page.',
    forbiddenTitle: 'Not allowed',
    rateLimitedTitle: 'Too many attempts',
    formExpiredTitle: 'The form expired',
    downloadClosedTitle: 'The download window has closed',
    waitSecond: 'Wait a second and try again.',
    waitSeconds: 'Wait {seconds} seconds and try again.',
    waitMinutes: 'Wait {minutes} minutes and try again.',
    waitMinute: 'Wait a minute and try again.',
    goHome: 'Go to the start page',
    goBack: 'Go back and try again',
  },
  sv: {
    skipToContent: 'Hoppa till innehållet',
    home: 'Keyslip startsida',
    adminNav: 'Admin',
    signedInAs: 'Inloggad som {name}',
    signOut: 'Logga ut',
    language: 'Språk',
    errorTitle: 'Något gick fel',
    notFoundTitle: 'Sidan hittades inte',
    notFoundText: 'Det finns ingen sida på den här adressen. Kontrollera adressen, eller gå till startsidan.',
    forbiddenTitle: 'Inte tillåtet',
    rateLimitedTitle: 'För många försök',
    formExpiredTitle: 'Formuläret har gått ut',
    downloadClosedTitle: 'Tiden för nedladdning har gått ut',
    waitSecond: 'Vänta en sekund och försök igen.',
    waitSeconds: 'Vänta {seconds} sekunder och försök igen.',
    waitMinutes: 'Vänta {minutes} minuter och försök igen.',
    waitMinute: 'Vänta en minut och försök igen.',
    goHome: 'Gå till startsidan',
    goBack: 'Gå tillbaka och försök igen',
  },
});

export interface PageOptions {
  locale: Locale;
  /** The page's own title; the document title becomes "title – Keyslip". */
  title: string;
  body: SafeHtml;
  /** request.auth: decides the header (signed-in person, sign-out, admin navigation). */
  auth: Auth;
  /** The CSRF token for the header's sign-out form (and the page's forms). */
  csrfToken: string;
  /** The current path (and query), so the language switch comes back here. */
  path: string;
  /** The HTTP status the page will be sent with (informational; sendPage sets the status). */
  status?: number;
  /** Scripts under /assets/, e.g. ['accesscode.js'], loaded with defer. */
  scripts?: readonly string[];
  /** Extra stylesheets under /assets/ after app.css, e.g. ['admin.css']. */
  styles?: readonly string[];
  /** A wider content column, for admin tables. */
  wide?: boolean;
}

function languageSwitch(locale: Locale, path: string): SafeHtml {
  const items = LOCALES.map((other) => {
    const href = `/lang/${other}?next=${encodeURIComponent(path)}`;
    const current = other === locale ? raw(' aria-current="true"') : '';
    return html`<li><a href="${href}" lang="${other}" hreflang="${other}"${current}>${LOCALE_NAMES[other]}</a></li>`;
  });
  return html`<nav class="lang-switch" aria-label="${layoutText(locale, 'language')}"><ul>${items}</ul></nav>`;
}

function adminNav(locale: Locale, path: string, manager: boolean): SafeHtml {
  const items = ADMIN_NAV.filter((item) => !manager || item.managers).map((item) => {
    const current = path === item.path || path.startsWith(`${item.path}/`) || path.startsWith(`${item.path}?`);
    const marker = current ? raw(' aria-current="page"') : '';
    return html`<li><a href="${item.path}"${marker}>${labelText(locale, item.label)}</a></li>`;
  });
  return html`<nav class="admin-nav" aria-label="${layoutText(locale, 'adminNav')}"><ul>${items}</ul></nav>`;
}

function account(locale: Locale, auth: Auth, csrfToken: string): SafeHtml | null {
  if (auth.via !== 'session') return null;
  const person = auth.person;
  return html`<div class="account">
      <span class="account-name">${layoutText(locale, 'signedInAs', { name: person.name })}</span>
      <form method="post" action="/logout" class="inline-form">${csrfField(csrfToken)}<button type="submit"
        class="button button-small button-secondary">${layoutText(locale, 'signOut')}</button></form>
    </div>`;
}

export function renderPage(options: PageOptions): string {
  const { locale, auth, path } = options;
  const role = auth.via === 'session' ? auth.person.role : null;
  const scripts = (options.scripts ?? []).map((name) => html`<script src="/assets/${name}" defer></script>`);
  const styles = (options.styles ?? []).map((name) => html`<link rel="stylesheet" href="/assets/${name}">`);
  const document = html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} – ${PRODUCT_NAME}</title>
<link rel="stylesheet" href="/assets/app.css">
${styles}
${scripts}
</head>
<body>
<a class="skip-link" href="#main">${layoutText(locale, 'skipToContent')}</a>
<header class="site-header">
  <div class="site-header-inner${options.wide ? ' wide' : ''}">
    <a class="brand" href="/" aria-label="${layoutText(locale, 'home')}">${PRODUCT_NAME}</a>
    ${(role === 'admin' || role === 'manager') && adminNav(locale, path, role === 'manager')}
    ${account(locale, auth, options.csrfToken)}
    ${languageSwitch(locale, path)}
  </div>
</header>
<main id="main" tabindex="-1" class="${options.wide ? 'wide' : 'narrow'}">
${options.body}
</main>
</body>
</html>
`;
  return document.toString();
}

export interface ErrorPageOptions {
  locale: Locale;
  auth: Auth;
  csrfToken: string;
  path: string;
  status: number;
  /** The message to show (already in the visitor's language). */
  message: string;
  /** Seconds to wait, for a 429. */
  retryAfterSeconds?: number;
  /** A same-site page to go back to and try again (e.g. the form whose token expired). */
  backPath?: string;
  /** The error's code, when it has a title of its own (an expired form, a closed download). */
  code?: string;
}

/** A wait in plain words: "Wait 30 seconds…", "Wait 5 minutes…". */
export function waitMessage(locale: Locale, seconds: number): string {
  if (seconds <= 1) return layoutText(locale, 'waitSecond');
  if (seconds <= 60)
    return seconds >= 50
      ? layoutText(locale, 'waitMinute')
      : layoutText(locale, 'waitSeconds', { seconds: Math.ceil(seconds) });
  return layoutText(locale, 'waitMinutes', { minutes: Math.ceil(seconds / 60) });
}

function errorTitle(locale: Locale, status: number, code: string | undefined): string {
  // Expected states, not failures: their own titles ("Not allowed" read as a refusal).
  if (code === 'csrf_failed') return layoutText(locale, 'formExpiredTitle');
  if (code === 'batch_expired') return layoutText(locale, 'downloadClosedTitle');
  if (status === 404) return layoutText(locale, 'notFoundTitle');
  if (status === 429) return layoutText(locale, 'rateLimitedTitle');
  if (status === 403) return layoutText(locale, 'forbiddenTitle');
  return layoutText(locale, 'errorTitle');
}

export function renderErrorPage(options: ErrorPageOptions): string {
  const { locale } = options;
  const title = errorTitle(locale, options.status, options.code);
  const message =
    options.status === 404 && options.message === ERRORS.not_found[locale]
      ? layoutText(locale, 'notFoundText')
      : options.message;
  const body = html`<h1>${title}</h1>
<div class="notice notice-error" role="alert"><p>${message}</p>${
    options.retryAfterSeconds !== undefined && html`<p>${waitMessage(locale, options.retryAfterSeconds)}</p>`
  }</div>
<div class="actions">
  ${options.backPath && html`<a class="button" href="${options.backPath}">${layoutText(locale, 'goBack')}</a>`}
  <a class="button button-secondary" href="/">${layoutText(locale, 'goHome')}</a>
</div>`;
  return renderPage({
    locale,
    title,
    body,
    auth: options.auth,
    csrfToken: options.csrfToken,
    path: options.path,
    status: options.status,
  });
}

/** Sends a rendered page as UTF-8 HTML. Pages about a person are never cached by shared caches. */
export function sendPage(
  reply: FastifyReply,
  page: string,
  options: { noStore?: boolean; status?: number } = {},
): FastifyReply {
  reply.header('Cache-Control', options.noStore ? 'no-store' : 'private, no-cache');
  if (options.status !== undefined) reply.status(options.status);
  return reply.type('text/html; charset=utf-8').send(page);
}
