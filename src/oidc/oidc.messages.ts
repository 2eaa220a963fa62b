// The words of the OpenID Provider's own pages (consent, sign-out, protocol errors), in English and Swedish.
import { defineMessages } from '../lib/messages.js';

export const oidcText = defineMessages({
  en: {
    consentTitle: 'Allow {app}?',
    consentIntro: '{app} wants to use your Keyslip account. It will receive:',
    scopeProfile: 'your name and username',
    scopeEmail: 'your email address',
    scopeKeyslip: 'your employee id, department, location and role',
    scopeOfflineAccess: 'access while you are away (it stays signed in)',
    scopeOpenid: 'that you are signed in',
    consentAllow: 'Allow',
    consentDeny: 'Cancel',
    consentRemembered: 'You are asked only once for each app.',
    logoutTitle: 'Sign out?',
    logoutIntro: 'Do you want to sign out of Keyslip?',
    logoutYes: 'Yes, sign me out',
    logoutNo: 'No, stay signed in',
    loggedOutTitle: 'Signed out',
    loggedOut: 'You are signed out.',
    errorTitle: 'Something went wrong',
    errorIntro:
      'The app sent a sign-in request Keyslip cannot accept. Go back to the app and try again; if it happens again, ' +
      'tell your admin.',
    appsHeading: 'Your apps',
    appsIntro: 'The apps you use at work: each signs you in with your Keyslip account.',
  },
  sv: {
    consentTitle: 'Tillåta {app}?',
    consentIntro: '{app} vill använda ditt Keyslip-konto. Appen får:',
    scopeProfile: 'ditt namn och användarnamn',
    scopeEmail: 'din e-postadress',
    scopeKeyslip: 'ditt anställningsnummer, din avdelning, plats och roll',
    scopeOfflineAccess: 'åtkomst när du inte är där (den förblir inloggad)',
    scopeOpenid: 'att du är inloggad',
    consentAllow: 'Tillåt',
    consentDeny: 'Avbryt',
    consentRemembered: 'Du får bara frågan en gång för varje app.',
    logoutTitle: 'Logga ut?',
    logoutIntro: 'Vill du logga ut från Keyslip?',
    logoutYes: 'Ja, logga ut mig',
    logoutNo: 'Nej, förbli inloggad',
    loggedOutTitle: 'Utloggad',
    loggedOut: 'Du är utloggad.',
    errorTitle: 'Något gick fel',
    errorIntro:
      'Appen skickade en inloggningsförfrågan som Keyslip inte kan ta emot. Gå tillbaka till appen och försök igen; ' +
      'om det händer igen, berätta för din administratör.',
    appsHeading: 'Dina appar',
    appsIntro: 'Apparna du använder i arbetet: var och en loggar in dig med ditt Keyslip-konto.',
  },
});
