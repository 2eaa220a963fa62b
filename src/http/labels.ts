// The visible labels that are part of the contract (SPEC §5), in English and Swedish. Use these
// wherever such a label appears, so a page can never drift from the spelling users are told.
import { defineMessages } from './i18n.js';

export const labelText = defineMessages({
  en: {
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
    apiTokens: 'API tokens',
    apps: 'Apps',
    areas: 'Areas',
    forgotPassword: 'Forgot your password?',
    askForNewCode: 'Ask for a new code',
  },
  sv: {
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
    apiTokens: 'API-token',
    apps: 'Appar',
    areas: 'Områden',
    forgotPassword: 'Glömt lösenordet?',
    askForNewCode: 'Be om en ny kod',
  },
});

export type LabelKey = keyof typeof labelText.catalog.en;

/** The contract labels as plain data: `LABELS.sv.signIn` is 'Logga in'. */
export const LABELS = labelText.catalog;
