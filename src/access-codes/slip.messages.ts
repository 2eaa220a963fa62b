// The words of an access-code slip, shared by the printed slips (slips.pdf.ts) and the slip on
// the admin's "shown once" page (web/admin-codes.views.ts), so the two can never drift apart.
import { defineMessages } from '../lib/messages.js';

export const slipText = defineMessages({
  en: {
    title: 'Keyslip access codes',
    heading: 'Your Keyslip access code',
    username: 'Username',
    chooseUsername: 'choose at first sign-in',
    validUntil: 'Valid until',
    instructions: 'Go to the address or scan the code, enter the code, confirm your username and choose a password.',
    keepPrivate: 'Keep this slip private: anyone with this code can get into your account.',
    noSlips: 'No access codes to print.',
  },
  sv: {
    title: 'Keyslip-åtkomstkoder',
    heading: 'Din Keyslip-åtkomstkod',
    username: 'Användarnamn',
    chooseUsername: 'väljs vid första inloggningen',
    validUntil: 'Giltig till',
    instructions: 'Gå till adressen eller skanna koden, ange koden, bekräfta ditt användarnamn och välj ett lösenord.',
    keepPrivate: 'Håll lappen hemlig: den som har koden kan komma in på ditt konto.',
    noSlips: 'Inga åtkomstkoder att skriva ut.',
  },
});
