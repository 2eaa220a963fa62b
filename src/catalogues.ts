// Every catalogue of words, listed by hand: the parity test (src/http/i18n.test.ts) checks that
// each has the same keys and placeholders in English and Swedish. A new catalogue goes here.
import { slipText } from './access-codes/slip.messages.js';
import { ERRORS } from './errors.js';
import { labelText } from './http/labels.js';
import { layoutText } from './http/layout.js';
import type { Catalogue } from './lib/messages.js';
import { identityText, problemText } from './problems.js';
import { areasText } from './web/admin-areas.views.js';
import { auditText } from './web/admin-audit.views.js';
import { codesText } from './web/admin-codes.views.js';
import { requestsText } from './web/admin-code-requests.views.js';
import { guideText } from './web/admin-guide.views.js';
import { importText } from './web/admin-import.views.js';
import { peopleText } from './web/admin-people.views.js';
import { tokensText } from './web/admin-tokens.views.js';
import { adminText, auditActionText } from './web/admin.views.js';
import { frontlineText } from './web/frontline.messages.js';
import { codeRequestText } from './web/code-requests.views.js';
import { appsText } from './oidc/apps.views.js';
import { oidcText } from './oidc/oidc.messages.js';

/** The error registry keeps status and words together; seen here as a catalogue like the others. */
function errorCatalogue(): Catalogue {
  const codes = Object.keys(ERRORS) as (keyof typeof ERRORS)[];
  return {
    en: Object.fromEntries(codes.map((code) => [code, ERRORS[code].en])),
    sv: Object.fromEntries(codes.map((code) => [code, ERRORS[code].sv])),
  };
}

export const CATALOGUES: Readonly<Record<string, Catalogue>> = {
  errors: errorCatalogue(),
  problemText: problemText.catalog,
  identityText: identityText.catalog,
  labelText: labelText.catalog,
  layoutText: layoutText.catalog,
  slipText: slipText.catalog,
  frontlineText: frontlineText.catalog,
  codeRequestText: codeRequestText.catalog,
  adminText: adminText.catalog,
  auditActionText: auditActionText.catalog,
  peopleText: peopleText.catalog,
  codesText: codesText.catalog,
  auditText: auditText.catalog,
  guideText: guideText.catalog,
  importText: importText.catalog,
  tokensText: tokensText.catalog,
  appsText: appsText.catalog,
  areasText: areasText.catalog,
  oidcText: oidcText.catalog,
  requestsText: requestsText.catalog,
};
