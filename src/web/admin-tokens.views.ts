// The API tokens page: every token with its owner, expiry and last use, and a button that revokes
// an active one. A token is shown only when it is made (POST /api/v1/tokens or
// `keyslip token create`), never here.
import { csrfField } from '../http/forms.js';
import { html, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import type { ApiToken } from '../sessions/api-tokens.js';
import { adminText, notice, timeElement } from './admin.views.js';

export const tokensText = defineMessages({
  en: {
    intro:
      'API tokens let scripts use the admin API. Each expires (after 90 days unless chosen otherwise, at most a ' +
      'year) and can be revoked here at any time; a revoked or expired token stops working at once.',
    howToCreate:
      'Make one with the command keyslip token create --name NAME, or with POST /api/v1/tokens while signed in ' +
      'as an admin. The token is shown only then.',
    scimHowTo:
      'SCIM tokens, for provisioning from Microsoft Entra ID or Okta, are made with keyslip token create --scim ' +
      '--name NAME. They work only for SCIM (/scim/v2), never for the admin API.',
    scimKind: 'SCIM',
    name: 'Name',
    owner: 'Made by',
    created: 'Made',
    expires: 'Expires',
    lastUsed: 'Last used',
    state: 'Status',
    active: 'Active',
    expired: 'Expired',
    ownerNotAdmin: 'Not working: its admin is no longer an admin',
    revoked: 'Revoked',
    never: 'Never',
    revoke: 'Revoke',
    revokeLabel: 'Revoke API token {name}',
    noTokens: 'There are no API tokens.',
    doneRevoked: 'The API token was revoked. It no longer works.',
  },
  sv: {
    intro:
      'Med API-token kan skript använda administratörs-API:t. Varje token upphör att gälla (efter 90 dagar om ' +
      'inget annat valts, högst ett år) och kan återkallas här när som helst; en återkallad eller utgången token ' +
      'slutar fungera direkt.',
    howToCreate:
      'Skapa en med kommandot keyslip token create --name NAMN, eller med POST /api/v1/tokens när du är inloggad ' +
      'som administratör. Token visas bara då.',
    scimHowTo:
      'SCIM-token, för provisionering från Microsoft Entra ID eller Okta, skapas med keyslip token create --scim ' +
      '--name NAMN. De fungerar bara för SCIM (/scim/v2), aldrig för administratörs-API:t.',
    scimKind: 'SCIM',
    name: 'Namn',
    owner: 'Skapad av',
    created: 'Skapad',
    expires: 'Går ut',
    lastUsed: 'Senast använd',
    state: 'Status',
    active: 'Aktiv',
    expired: 'Utgången',
    ownerNotAdmin: 'Fungerar inte: administratören som skapade den är inte längre administratör',
    revoked: 'Återkallad',
    never: 'Aldrig',
    revoke: 'Återkalla',
    revokeLabel: 'Återkalla API-token {name}',
    noTokens: 'Det finns inga API-token.',
    doneRevoked: 'API-token har återkallats. Den fungerar inte längre.',
  },
});

const timeOrNever = (locale: Locale, value: string | null): SafeHtml | string =>
  value === null ? tokensText(locale, 'never') : timeElement(locale, Date.parse(value));

function stateCell(locale: Locale, token: ApiToken, now: number): SafeHtml | string {
  if (token.revokedAt !== null) {
    return html`${tokensText(locale, 'revoked')} ${timeElement(locale, Date.parse(token.revokedAt))}`;
  }
  if (token.expiresAt === null || Date.parse(token.expiresAt) <= now) return tokensText(locale, 'expired');
  return tokensText(locale, token.active ? 'active' : 'ownerNotAdmin');
}

export interface TokensPageModel {
  locale: Locale;
  csrfToken: string;
  tokens: ApiToken[];
  now: number;
  /** A token was just revoked: say so. */
  done: boolean;
}

export function tokensPage(options: TokensPageModel): SafeHtml {
  const { locale } = options;
  type Key = Parameters<typeof tokensText>[1];
  const t = (key: Key, values?: Record<string, string>): string => tokensText(locale, key, values);
  const table =
    options.tokens.length === 0
      ? html`<p class="empty">${t('noTokens')}</p>`
      : html`<div class="table-wrap" role="region" aria-labelledby="tokens-caption" tabindex="0">
<table class="tokens-table">
  <caption id="tokens-caption" class="visually-hidden">${labelText(locale, 'apiTokens')}</caption>
  <thead><tr>
    <th scope="col">${t('name')}</th>
    <th scope="col">${t('owner')}</th>
    <th scope="col">${t('created')}</th>
    <th scope="col">${t('expires')}</th>
    <th scope="col">${t('lastUsed')}</th>
    <th scope="col">${t('state')}</th>
    <th scope="col"><span class="visually-hidden">${t('revoke')}</span></th>
  </tr></thead>
  <tbody>${options.tokens.map(
    (token) => html`<tr>
    <td>${token.name}${token.kind === 'scim' && html` <span class="badge">${t('scimKind')}</span>`}</td>
    <td>${token.owner.label}</td>
    <td>${timeElement(locale, Date.parse(token.createdAt))}</td>
    <td>${token.expiresAt === null ? adminText(locale, 'none') : timeElement(locale, Date.parse(token.expiresAt))}</td>
    <td>${timeOrNever(locale, token.lastUsedAt)}</td>
    <td>${stateCell(locale, token, options.now)}</td>
    <td>${
      token.revokedAt === null &&
      html`<form method="post" action="/admin/tokens/${token.id}/revoke">
      ${csrfField(options.csrfToken)}
      <button type="submit" class="button-small button-danger"
        aria-label="${t('revokeLabel', { name: token.name })}">${t('revoke')}</button>
    </form>`
    }</td>
  </tr>`,
  )}</tbody>
</table>
</div>`;
  return html`<h1>${labelText(locale, 'apiTokens')}</h1>
${options.done && notice('success', t('doneRevoked'))}
<p>${t('intro')}</p>
<p>${t('howToCreate')}</p>
<p>${t('scimHowTo')}</p>
${table}`;
}
