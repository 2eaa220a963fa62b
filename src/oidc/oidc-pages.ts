// The OpenID Provider's pages. The consent page is one of ours (rendered by oidc.routes.ts in
// the site layout); the sign-out prompt, "signed out" and protocol error pages are rendered inside
// oidc-provider, so they are small stand-alone documents with the site's stylesheet and no script.
import { csrfField } from '../http/forms.js';
import { html, raw, type SafeHtml } from '../http/html.js';
import { localeFromAcceptLanguage, DEFAULT_LOCALE, type Locale } from '../http/i18n.js';
import { oidcText } from './oidc.messages.js';

export interface ConsentView {
  uid: string;
  appName: string;
  scopes: string[];
  csrfToken: string;
}

const SCOPE_MESSAGES = {
  openid: 'scopeOpenid',
  profile: 'scopeProfile',
  email: 'scopeEmail',
  keyslip: 'scopeKeyslip',
  offline_access: 'scopeOfflineAccess',
} as const;

export function consentBody(locale: Locale, view: ConsentView): SafeHtml {
  const items = view.scopes
    .filter((scope): scope is keyof typeof SCOPE_MESSAGES => scope in SCOPE_MESSAGES)
    .map((scope) => html`<li>${oidcText(locale, SCOPE_MESSAGES[scope])}</li>`);
  const action = `/oidc/interaction/${view.uid}/consent`;
  return html`<h1>${oidcText(locale, 'consentTitle', { app: view.appName })}</h1>
<p class="lead">${oidcText(locale, 'consentIntro', { app: view.appName })}</p>
<ul>${items}</ul>
<p>${oidcText(locale, 'consentRemembered')}</p>
<form method="post" action="${action}" class="card">
  ${csrfField(view.csrfToken)}
  <div class="actions">
    <button type="submit" name="decision" value="allow" autofocus>${oidcText(locale, 'consentAllow')}</button>
    <button type="submit" name="decision" value="deny"
      class="button-secondary">${oidcText(locale, 'consentDeny')}</button>
  </div>
</form>`;
}

export interface KoaRequestLike {
  get(header: string): string;
}

/** The locale of a request oidc-provider renders: its Accept-Language (or keyslip_lang cookie). */
export function localeOfKoa(ctx: KoaRequestLike): Locale {
  const cookie = /(?:^|;\s*)keyslip_lang=(en|sv)(?:;|$)/.exec(ctx.get('cookie'));
  if (cookie) return cookie[1] as Locale;
  return localeFromAcceptLanguage(ctx.get('accept-language') || undefined) ?? DEFAULT_LOCALE;
}

function standalone(locale: Locale, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Keyslip</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body><main id="main" class="container">${body}</main></body>
</html>`.toString();
}

/** oidc-provider's sign-out confirmation; `form` is its own hidden form (with its anti-CSRF field). */
export function renderLogoutPrompt(locale: Locale, form: string): string {
  return standalone(
    locale,
    oidcText(locale, 'logoutTitle'),
    html`<h1>${oidcText(locale, 'logoutTitle')}</h1>
<p>${oidcText(locale, 'logoutIntro')}</p>
${raw(form)}
<div class="actions">
  <button autofocus type="submit" form="op.logoutForm" value="yes"
    name="logout">${oidcText(locale, 'logoutYes')}</button>
  <button type="submit" form="op.logoutForm" class="button-secondary">${oidcText(locale, 'logoutNo')}</button>
</div>`,
  );
}

export function renderLoggedOut(locale: Locale): string {
  return standalone(
    locale,
    oidcText(locale, 'loggedOutTitle'),
    html`<h1>${oidcText(locale, 'loggedOutTitle')}</h1><p>${oidcText(locale, 'loggedOut')}</p>
<p><a href="/login">Keyslip</a></p>`,
  );
}

/** A protocol error shown to the person (when it cannot be sent back to the app): the OAuth code, no stack. */
export function renderOidcError(locale: Locale, out: Record<string, string>): string {
  return standalone(
    locale,
    oidcText(locale, 'errorTitle'),
    html`<h1>${oidcText(locale, 'errorTitle')}</h1>
<p>${oidcText(locale, 'errorIntro')}</p>
<p><code>${out.error ?? 'server_error'}</code>${out.error_description ? html`: ${out.error_description}` : ''}</p>`,
  );
}
