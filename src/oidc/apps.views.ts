// The admin page Apps / Appar (SPEC §8): the registered apps, adding one (its secret shown once),
// and removing one.
import { csrfField } from '../http/forms.js';
import { html, raw, type SafeHtml } from '../http/html.js';
import { defineMessages, type Locale } from '../http/i18n.js';
import { labelText } from '../http/labels.js';
import { errorSummary, notice, textField, type FieldErrors } from '../web/admin.views.js';
import type { OidcClient } from './oidc-clients.store.js';

export const appsText = defineMessages({
  en: {
    intro:
      'Apps sign people in with Keyslip (OpenID Connect). Give an app its client ID, its secret and the address ' +
      '{issuer}.',
    none: 'No apps yet.',
    name: 'Name',
    clientId: 'Client ID',
    kind: 'Kind',
    redirectUris: 'Redirect URIs',
    redirectHint: 'One address per line, exactly as the app sends it.',
    postLogoutUris: 'After sign-out, back to',
    backchannelUri: 'Back-channel logout URI',
    syntheticEmail: 'Synthetic email domain',
    syntheticEmailHint: 'For apps that need an email: people without one get username@this domain (not verified).',
    launchUrl: 'Launch URL',
    launchUrlHint: 'Shown as a button on people’s home page and after they use an access code.',
    firstParty: 'Our own app (no consent question)',
    public: 'Public app (mobile or single-page, no secret)',
    add: 'Add app',
    addTitle: 'Add an app',
    remove: 'Remove',
    removed: 'The app was removed. Its tokens no longer work.',
    confidential: 'confidential',
    publicKind: 'public',
    firstPartyKind: 'first-party',
    thirdPartyKind: 'third-party',
    created: 'The app was added.',
    secret: 'Client secret',
    secretOnce: 'Copy the secret now: it is shown only this once. Keyslip keeps only a hash of it.',
    secretGone: 'The secret is no longer shown. Remove the app and add it again if it was lost.',
    discovery: 'Discovery address',
    back: 'All apps',
  },
  sv: {
    intro:
      'Appar loggar in personer med Keyslip (OpenID Connect). Ge appen dess klient-ID, dess hemlighet och adressen ' +
      '{issuer}.',
    none: 'Inga appar än.',
    name: 'Namn',
    clientId: 'Klient-ID',
    kind: 'Typ',
    redirectUris: 'Omdirigerings-URI:er',
    redirectHint: 'En adress per rad, exakt som appen skickar den.',
    postLogoutUris: 'Efter utloggning, tillbaka till',
    backchannelUri: 'URI för utloggning i bakgrunden',
    syntheticEmail: 'Domän för ersättningsadress',
    syntheticEmailHint: 'För appar som kräver e-post: personer utan får användarnamn@den här domänen (ej verifierad).',
    launchUrl: 'Startadress',
    launchUrlHint: 'Visas som en knapp på personernas startsida och när de har använt en åtkomstkod.',
    firstParty: 'Vår egen app (ingen fråga om medgivande)',
    public: 'Publik app (mobil eller enkelsidig, ingen hemlighet)',
    add: 'Lägg till app',
    addTitle: 'Lägg till en app',
    remove: 'Ta bort',
    removed: 'Appen togs bort. Dess token fungerar inte längre.',
    confidential: 'konfidentiell',
    publicKind: 'publik',
    firstPartyKind: 'egen',
    thirdPartyKind: 'extern',
    created: 'Appen lades till.',
    secret: 'Klienthemlighet',
    secretOnce: 'Kopiera hemligheten nu: den visas bara den här gången. Keyslip sparar bara en hash av den.',
    secretGone: 'Hemligheten visas inte längre. Ta bort appen och lägg till den igen om den kom bort.',
    discovery: 'Adress för discovery',
    back: 'Alla appar',
  },
});

export interface AppFormValues {
  name: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  syntheticEmailDomain: string;
  launchUrl: string;
  firstParty: boolean;
  public: boolean;
}

export const EMPTY_APP_FORM: AppFormValues = {
  name: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  backchannelLogoutUri: '',
  syntheticEmailDomain: '',
  launchUrl: '',
  firstParty: false,
  public: false,
};

function kindOf(locale: Locale, app: OidcClient): string {
  const kind = appsText(locale, app.public ? 'publicKind' : 'confidential');
  return `${kind}, ${appsText(locale, app.firstParty ? 'firstPartyKind' : 'thirdPartyKind')}`;
}

function textArea(name: string, text: string, value: string, hint?: string): SafeHtml {
  const id = `field-${name}`;
  return html`<div class="field"><label for="${id}">${text}</label>${
    hint &&
    html`<p class="hint"
    id="${id}-hint">${hint}</p>`
  }
<textarea id="${id}" name="${name}"
  rows="3"${hint ? html` aria-describedby="${id}-hint"` : ''}>${value}</textarea></div>`;
}

function checkbox(name: string, text: string, checked: boolean): SafeHtml {
  return html`<div class="checkbox"><input type="checkbox" id="field-${name}" name="${name}"
    value="1"${checked ? raw(' checked') : ''}><label for="field-${name}">${text}</label></div>`;
}

export function appsBody(
  locale: Locale,
  view: {
    apps: OidcClient[];
    issuer: string;
    csrfToken: string;
    values: AppFormValues;
    errors: FieldErrors;
    removed: boolean;
  },
): SafeHtml {
  const rows = view.apps.map(
    (app) => html`<tr><th scope="row">${app.name}</th><td><code>${app.clientId}</code></td>
<td>${kindOf(locale, app)}</td><td>${app.redirectUris.join(' ')}</td>
<td><form method="post" action="/admin/apps/${app.clientId}/delete"
  class="inline-form">${csrfField(view.csrfToken)}<button type="submit"
  class="button-secondary button-small">${appsText(locale, 'remove')} <span
  class="visually-hidden">${app.name}</span></button></form></td></tr>`,
  );
  const fieldLabels = {
    name: appsText(locale, 'name'),
    redirectUris: appsText(locale, 'redirectUris'),
    postLogoutRedirectUris: appsText(locale, 'postLogoutUris'),
    backchannelLogoutUri: appsText(locale, 'backchannelUri'),
    syntheticEmailDomain: appsText(locale, 'syntheticEmail'),
    launchUrl: appsText(locale, 'launchUrl'),
  };
  return html`<h1>${labelText(locale, 'apps')}</h1>
${view.removed && notice('success', appsText(locale, 'removed'))}
<p class="lead">${appsText(locale, 'intro', { issuer: view.issuer })}</p>
${
  view.apps.length === 0
    ? html`<p>${appsText(locale, 'none')}</p>`
    : html`<table class="table"><thead><tr><th
  scope="col">${appsText(locale, 'name')}</th><th scope="col">${appsText(locale, 'clientId')}</th><th
  scope="col">${appsText(locale, 'kind')}</th><th scope="col">${appsText(locale, 'redirectUris')}</th><th
  scope="col"><span
  class="visually-hidden">${appsText(locale, 'remove')}</span></th></tr></thead><tbody>${rows}</tbody></table>`
}
<h2 id="add">${appsText(locale, 'addTitle')}</h2>
${errorSummary(locale, view.errors, fieldLabels)}
<form method="post" action="/admin/apps" class="card">
  ${csrfField(view.csrfToken)}
  ${textField({
    name: 'name',
    label: appsText(locale, 'name'),
    value: view.values.name,
    error: view.errors.name,
    required: true,
    maxlength: 200,
  })}
  ${textArea(
    'redirectUris',
    appsText(locale, 'redirectUris'),
    view.values.redirectUris,
    appsText(locale, 'redirectHint'),
  )}
  ${textArea('postLogoutRedirectUris', appsText(locale, 'postLogoutUris'), view.values.postLogoutRedirectUris)}
  ${textField({
    name: 'backchannelLogoutUri',
    label: appsText(locale, 'backchannelUri'),
    value: view.values.backchannelLogoutUri,
    error: view.errors.backchannelLogoutUri,
  })}
  ${textField({
    name: 'syntheticEmailDomain',
    label: appsText(locale, 'syntheticEmail'),
    value: view.values.syntheticEmailDomain,
    error: view.errors.syntheticEmailDomain,
    hint: appsText(locale, 'syntheticEmailHint'),
  })}
  ${textField({
    name: 'launchUrl',
    label: appsText(locale, 'launchUrl'),
    value: view.values.launchUrl,
    error: view.errors.launchUrl,
    hint: appsText(locale, 'launchUrlHint'),
  })}
  ${checkbox('firstParty', appsText(locale, 'firstParty'), view.values.firstParty)}
  ${checkbox('public', appsText(locale, 'public'), view.values.public)}
  <button type="submit">${appsText(locale, 'add')}</button>
</form>`;
}

export function createdAppBody(
  locale: Locale,
  view: { app: OidcClient; secret: string | null; secretGone: boolean; issuer: string },
): SafeHtml {
  return html`<h1>${view.app.name}</h1>
${notice('success', appsText(locale, 'created'))}
<dl>
  <dt>${appsText(locale, 'clientId')}</dt><dd><code>${view.app.clientId}</code></dd>
  ${view.secret && html`<dt>${appsText(locale, 'secret')}</dt><dd><code id="client-secret">${view.secret}</code></dd>`}
  <dt>${appsText(locale, 'discovery')}</dt><dd><code>${view.issuer}/.well-known/openid-configuration</code></dd>
</dl>
${
  view.secret
    ? notice('warning', appsText(locale, 'secretOnce'))
    : view.secretGone
      ? notice('info', appsText(locale, 'secretGone'))
      : ''
}
<p><a href="/admin/apps">${appsText(locale, 'back')}</a></p>`;
}
