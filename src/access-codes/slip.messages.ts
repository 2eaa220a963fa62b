// The words of an access-code slip, shared by the printed slips (slips.pdf.ts) and the slip on
// the admin's "shown once" page (web/admin-codes.views.ts), so the two can never drift apart.
import { defineMessages } from '../lib/messages.js';

export const slipText = defineMessages({
  en: {
    title: 'Access codes',
    heading: 'Your access code',
    username: 'Username',
    chooseUsername: 'you choose it the first time you use the code',
    validUntil: 'Valid until',
    employeeId: 'Employee id',
    instructions: 'Scan the QR code or type the code at the address. Check the username, then choose a password.',
    instructionsChoose: 'Scan the QR code or type the code at the address. Then choose a username and a password.',
    keepPrivate: 'Keep this slip private: anyone with this code can get into your account.',
    noSlips: 'No access codes to print.',
  },
  sv: {
    title: 'Åtkomstkoder',
    heading: 'Din åtkomstkod',
    username: 'Användarnamn',
    chooseUsername: 'du väljer det första gången du använder koden',
    validUntil: 'Giltig till',
    employeeId: 'Anst.nr',
    instructions:
      'Skanna QR-koden eller skriv in koden på adressen. Kontrollera användarnamnet och välj sedan ett lösenord.',
    instructionsChoose: 'Skanna QR-koden eller skriv in koden på adressen. Välj sedan användarnamn och lösenord.',
    keepPrivate: 'Håll lappen hemlig: den som har koden kan komma in på ditt konto.',
    noSlips: 'Inga åtkomstkoder att skriva ut.',
  },
});
