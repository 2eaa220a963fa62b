// The frontline pages' words, in English and Swedish. Contract labels (Sign in, Access code, …)
// come from src/http/labels.ts instead, so they are spelled one way everywhere.
import { defineMessages } from '../http/i18n.js';

export const frontlineText = defineMessages({
  en: {
    // /login
    loginIntro: 'Sign in with the username your admin gave you, or your email address if you have one.',
    loginField: 'Username or email',
    password: 'Password',
    signedOut: 'You are signed out.',
    signedOutEverywhere: 'You are signed out on every device.',
    signInToContinue: 'Sign in to continue.',
    tooManyAttempts: 'Too many attempts.',
    loginHasSpace: 'A username has no spaces: for example anna.berg, not Anna Berg. Sign in with your username.',

    // /help/login
    helpIntro: 'Most sign-in problems have a simple cause. Try these first.',
    helpTipsHeading: 'Things to check',
    tipCapsLock:
      'Check that Caps Lock is off. Passwords are case-sensitive: “Summer” and “summer” are different passwords.',
    tipUsername:
      'Sign in with your username, not your name. Your username is usually the one your admin gave you, for example ' +
      'on a paper slip, such as “anna.berg” or “e1042”. If you have an email address in Keyslip, you can use that ' +
      'instead.',
    tipUsernameCase: 'Usernames are not case-sensitive, but spaces and dots count: “anna.berg” is not “anna berg”.',
    tipSharedDevice:
      'On a shared shop tablet or computer, someone else may still be signed in. If you see another person’s name at ' +
      'the top of the page, choose “Sign out” first, then sign in as yourself.',
    tipKeyboard: 'If your password has letters like å, ä or ö, check that the keyboard is set to the right language.',
    tipWait:
      'After several wrong passwords, Keyslip makes you wait a little before the next try. Wait the time shown, then ' +
      'try again carefully.',
    helpForgot:
      'You need a new access code: 16 letters, on paper or read to you. With it you choose a new password ' +
      'yourself. Nobody, not even your manager, can see your old password.',
    helpForgotHaveCode: 'Already have a new code?',
    helpForgotLink: 'Enter an access code',
    askIntro:
      'Give your username or your employee id. Your manager (or the admin) sees your request and gives you a new ' +
      'code at work, on paper or read to you.',
    askField: 'Username or employee id',
    askHint: 'For example anna.berg or E10423. Your name alone is not enough.',
    askSent:
      'Thank you. If that is your username or employee id, your request is now with your manager. Ask them for the ' +
      'new code: it is never sent by email or text message.',
    askLimited: 'Too many requests from this network. Try again in {minutes} minutes.',
    helpContactHeading: 'Still stuck?',
    helpContact: 'Contact: {contact}',
    helpContactAdmin:
      'Contact your admin (your manager or the person who looks after staff accounts). They can give you an access ' +
      'code.',
    helpBackToLogin: 'Back to sign in',

    // /account/password
    changePasswordTitle: 'Change your password',
    changePasswordLink: 'Change password',
    changePasswordIntro: 'You stay signed in here. Everywhere else you are signed out and sign in with the new one.',
    currentPassword: 'Current password',
    changePasswordSave: 'Change password',
    passwordChanged: 'Your password is changed. You are signed out on every other device.',
    changePasswordForgot: 'Forgot your current password? Sign out, then choose “Forgot your password?”.',

    // /work/accesscode
    codeTitle: 'Use an access code',
    codeIntro:
      'An access code lets you set a new password, or start using your account for the first time. Your admin gives ' +
      'you the code on paper or reads it to you.',
    codeHint:
      '16 letters, for example BCDF‑GHJK‑LMNP‑QRST. Small or capital letters, with or without dashes and spaces. ' +
      'There are no vowels and no digits in a code.',
    codeCount: '{count} of 16 letters',
    codeNeverIs: '“{char}” is never in a code: is it {letters}?',
    codeNever: '“{char}” is never in a code.',
    codeTooMany: '{count} letters: a code has only 16.',
    codeShort: 'You typed {count} of the 16 letters.',
    codeCheckLetters: 'Check the letters and try again.',
    codeRateLimitedMinutes:
      'Too many wrong codes from this network (everyone here shares it). Try again in {minutes} minutes.',
    codeRateLimitedMinute: 'Too many wrong codes from this network (everyone here shares it). Try again in a minute.',
    or: 'or',
    codeContinue: 'Continue',
    stepsLabel: 'Steps',
    stepCode: '1. Code',
    stepUsername: '2. Username',
    stepPassword: '3. Password',
    stepOf: 'Step {step} of 3',
    confirmTitle: 'Is this your username?',
    confirmIntro: 'This access code belongs to the account with this username:',
    confirmYes: 'Yes, this is me',
    confirmNo: 'Not you? Do not go on. Ask your admin for your own access code.',
    confirmField: 'Username',
    confirmClaimTitle: 'Your username',
    confirmClaimFor: 'This code is for {name}.',
    confirmClaimIntro: 'You will sign in with this username:',
    writeItDown: 'Write it down: you need it every time you sign in.',
    confirmClaimYes: 'Yes, I am {name}',
    confirmClaimNo: 'Not you? Do not go on. Give the slip back to your manager and ask for your own code.',
    chooseTitle: 'Choose a username',
    chooseIntro: 'This is a new account. Choose the username you will sign in with.',
    chooseSuggested: 'We made a suggestion from your name. Keep it, or type another one.',
    chooseField: 'Username',
    chooseHint:
      '3 to 64 characters: letters a–z (no å, ä or ö), digits 0–9 and . _ - (start with a letter or digit). For ' +
      'example anna.berg.',
    usernameFreeHeading: 'These are free: tap one to take it',
    usernameChecking: 'Checking…',
    usernameAvailable: '“{username}” is available.',
    usernameTaken: '“{username}” is taken. Try another one.',
    usernameInvalid: 'Use 3 to 64 of a–z, 0–9, “.”, “_” or “-”, starting with a letter or digit.',
    passwordTitle: 'Set a new password',
    passwordIntroFor: 'Choose a password for {username}.',
    passwordRules: 'Rules for the password:',
    ruleLength: 'At least 8 characters. 15 or more is better: a short sentence is easy to remember and hard to guess.',
    ruleCommon: 'Not a commonly used password, such as “password123”.',
    ruleUsername: 'It must not contain your username.',
    ruleAnything: 'Any letters, digits, spaces or signs are fine. No special mix needed.',
    newPassword: 'New password',
    repeatPassword: 'New password again',
    savePassword: 'Save password and sign in',
    passwordsDiffer: 'The two passwords are not the same. Type them again.',
    passwordsMatch: 'The passwords match.',
    showPasswords: 'Show passwords',
    strengthEmpty: '',
    strengthShort: 'Too short: {count} of at least 8 characters.',
    strengthFair: 'Long enough. 15 or more characters is better.',
    strengthGood: 'Good length.',
    codeProblemHelp:
      'If it still does not work, the code may already be used or have expired: ask your manager for a new one.',

    // /
    homeTitle: 'Your account',
    welcomeClaimed: 'Welcome! Your account is ready and your password is set.',
    welcomeRecovered: 'Your new password is set. You are signed in.',
    yourUsernameIs: 'Your username is',
    rememberUsername: 'Write it down: you sign in with it and your password.',
    whoHeading: 'Who you are',
    name: 'Name',
    username: 'Username',
    email: 'Email',
    role: 'Role',
    roleAdmin: 'Admin',
    roleMember: 'Member',
    roleManager: 'Manager',
    noUsername: '(none)',
    adminHint: 'You are an admin. Manage people and access codes under People.',
    sessionsHeading: 'Where you are signed in',
    sessionsIntro: 'If you see a device you do not know, sign out everywhere and ask your admin for help.',
    thisDevice: 'This device',
    signedInAt: 'Signed in {date}',
    lastSeen: 'last used {date}',
    unknownDevice: 'Unknown device',
    deviceOn: '{browser} on {system}',
    signOutHere: 'Sign out',
    signOutEverywhere: 'Sign out everywhere',
    signOutEverywhereHint: 'Signs your account out on every device, this one included.',
    eventsHeading: 'Recent security events',
    eventsIntro: 'Changes to your account and sign-ins, newest first.',
    eventsNone: 'No events yet.',
    evRedeemedClaim: 'You started using your account with an access code and set your password',
    evRedeemedRecovery: 'Your password was set with an access code',
    evIssued: 'A new access code was made for you',
    evDeactivatedCode: 'Your access code was deactivated',
    evCodeFailed: 'Someone tried to use an old or deactivated access code of yours',
    evSignIn: 'You signed in',
    evSignInFailed: 'A sign-in to your account failed (wrong password)',
    evSignedOut: 'You signed out',
    evSignedOutEverywhere: 'You signed out everywhere',
    evSessionsEndedByAdmin: 'An admin signed you out everywhere',
    evCreated: 'Your account was created',
    evUpdated: 'Your account details were changed',
    evClaimed: 'You claimed your account',
    evPasswordChanged: 'Your password was changed',
    evPersonDeactivated: 'Your account was deactivated',
    evOther: 'Another change to your account',
    evRequested: 'Someone asked for a new access code for you',
    evBy: 'by {actor}',
    actorAdminApi: 'an admin (through another system)',
    actorAdminServer: 'an admin (on the server)',
    actorKeyslip: 'Keyslip (automatically)',
  },
  sv: {
    loginIntro:
      'Logga in med användarnamnet du har fått av din administratör, eller med din e-postadress om du har en.',
    loginField: 'Användarnamn eller e-post',
    password: 'Lösenord',
    signedOut: 'Du är utloggad.',
    signedOutEverywhere: 'Du är utloggad på alla enheter.',
    signInToContinue: 'Logga in för att fortsätta.',
    tooManyAttempts: 'För många försök.',
    loginHasSpace:
      'Ett användarnamn har inga mellanslag: till exempel anna.berg, inte Anna Berg. Logga in med ditt användarnamn.',

    helpIntro: 'De flesta problem med inloggning har en enkel orsak. Prova detta först.',
    helpTipsHeading: 'Kontrollera detta',
    tipCapsLock:
      'Kontrollera att Caps Lock är avstängt. Lösenord skiljer på stora och små bokstäver: ”Sommar” och ”sommar” är ' +
      'olika lösenord.',
    tipUsername:
      'Logga in med ditt användarnamn, inte ditt namn. Användarnamnet är oftast det som din administratör har gett ' +
      'dig, till exempel på en papperslapp, som ”anna.berg” eller ”e1042”. Har du en e-postadress i Keyslip kan du ' +
      'använda den i stället.',
    tipUsernameCase:
      'Användarnamn skiljer inte på stora och små bokstäver, men mellanslag och punkter räknas: ”anna.berg” är inte ' +
      '”anna berg”.',
    tipSharedDevice:
      'På en delad surfplatta eller dator i butiken kan någon annan fortfarande vara inloggad. Ser du någon annans ' +
      'namn högst upp på sidan, välj ”Logga ut” först och logga sedan in som dig själv.',
    tipKeyboard:
      'Om ditt lösenord har bokstäver som å, ä eller ö, kontrollera att tangentbordet är inställt på rätt språk.',
    tipWait:
      'Efter flera felaktiga lösenord får du vänta en stund innan nästa försök. Vänta den tid som visas och försök ' +
      'sedan igen, noggrant.',
    helpForgot:
      'Du behöver en ny åtkomstkod: 16 bokstäver, på papper eller uppläst för dig. Med den väljer du själv ett nytt ' +
      'lösenord. Ingen, inte ens din chef, kan se ditt gamla lösenord.',
    helpForgotHaveCode: 'Har du redan fått en ny kod?',
    helpForgotLink: 'Skriv in en åtkomstkod',
    askIntro:
      'Skriv ditt användarnamn eller ditt anställningsnummer. Din chef (eller administratören) ser din begäran och ' +
      'ger dig en ny kod på jobbet, på papper eller uppläst.',
    askField: 'Användarnamn eller anställningsnummer',
    askHint: 'Till exempel anna.berg eller E10423. Bara ditt namn räcker inte.',
    askSent:
      'Tack. Om det är ditt användarnamn eller anställningsnummer har din chef nu fått din begäran. Be hen om den ' +
      'nya koden – den skickas aldrig med e-post eller sms.',
    askLimited: 'För många begäranden från det här nätverket. Försök igen om {minutes} minuter.',
    helpContactHeading: 'Fungerar det fortfarande inte?',
    helpContact: 'Kontakt: {contact}',
    helpContactAdmin:
      'Kontakta din administratör (din chef eller den som sköter personalens konton). Hen kan ge dig en åtkomstkod.',
    helpBackToLogin: 'Tillbaka till inloggningen',

    changePasswordTitle: 'Byt lösenord',
    changePasswordLink: 'Byt lösenord',
    changePasswordIntro:
      'Du är fortfarande inloggad här. Överallt annars loggas du ut och loggar in med det nya lösenordet.',
    currentPassword: 'Nuvarande lösenord',
    changePasswordSave: 'Byt lösenord',
    passwordChanged: 'Ditt lösenord är bytt. Du är utloggad på alla andra enheter.',
    changePasswordForgot: 'Kommer du inte ihåg ditt nuvarande lösenord? Logga ut och välj ”Glömt lösenordet?”.',

    codeTitle: 'Använd en åtkomstkod',
    codeIntro:
      'Med en åtkomstkod väljer du ett nytt lösenord, eller börjar använda ditt konto för första gången. Du får ' +
      'koden av din administratör, på papper eller uppläst.',
    codeHint:
      '16 bokstäver, till exempel BCDF‑GHJK‑LMNP‑QRST. Små eller stora bokstäver, med eller utan bindestreck och ' +
      'mellanslag. En kod har inga vokaler och inga siffror.',
    codeCount: '{count} av 16 bokstäver',
    codeNeverIs: '”{char}” finns aldrig i en kod – står det {letters}?',
    codeNever: '”{char}” finns aldrig i en kod.',
    codeTooMany: '{count} bokstäver – en kod har bara 16.',
    codeShort: 'Du har skrivit {count} av de 16 bokstäverna.',
    codeCheckLetters: 'Kontrollera bokstäverna och försök igen.',
    codeRateLimitedMinutes:
      'För många felaktiga koder från det här nätverket (alla här delar det). Försök igen om {minutes} minuter.',
    codeRateLimitedMinute:
      'För många felaktiga koder från det här nätverket (alla här delar det). Försök igen om en minut.',
    or: 'eller',
    codeContinue: 'Fortsätt',
    stepsLabel: 'Steg',
    stepCode: '1. Kod',
    stepUsername: '2. Användarnamn',
    stepPassword: '3. Lösenord',
    stepOf: 'Steg {step} av 3',
    confirmTitle: 'Är det här ditt användarnamn?',
    confirmIntro: 'Den här åtkomstkoden hör till kontot med det här användarnamnet:',
    confirmYes: 'Ja, det är jag',
    confirmNo: 'Inte du? Fortsätt inte. Be din administratör om din egen åtkomstkod.',
    confirmField: 'Användarnamn',
    confirmClaimTitle: 'Ditt användarnamn',
    confirmClaimFor: 'Den här koden är till {name}.',
    confirmClaimIntro: 'Du loggar in med det här användarnamnet:',
    writeItDown: 'Skriv upp det: du behöver det varje gång du loggar in.',
    confirmClaimYes: 'Ja, jag är {name}',
    confirmClaimNo: 'Inte du? Fortsätt inte. Lämna tillbaka lappen till din chef och be om din egen kod.',
    chooseTitle: 'Välj ett användarnamn',
    chooseIntro: 'Det här är ett nytt konto. Välj det användarnamn du ska logga in med.',
    chooseSuggested: 'Vi har gjort ett förslag utifrån ditt namn. Behåll det eller skriv ett annat.',
    chooseField: 'Användarnamn',
    chooseHint:
      '3 till 64 tecken: bokstäverna a–z (inte å, ä eller ö), siffror 0–9 och . _ - (börja med en bokstav eller ' +
      'siffra). Till exempel anna.berg.',
    usernameFreeHeading: 'De här är lediga – tryck på ett för att ta det',
    usernameChecking: 'Kontrollerar…',
    usernameAvailable: '”{username}” är ledigt.',
    usernameTaken: '”{username}” är upptaget. Prova ett annat.',
    usernameInvalid: 'Använd 3 till 64 av a–z, 0–9, ”.”, ”_” eller ”-”, och börja med en bokstav eller siffra.',
    passwordTitle: 'Välj ett nytt lösenord',
    passwordIntroFor: 'Välj ett lösenord för {username}.',
    passwordRules: 'Regler för lösenordet:',
    ruleLength: 'Minst 8 tecken. 15 eller fler är bättre: en kort mening är lätt att komma ihåg och svår att gissa.',
    ruleCommon: 'Inte ett vanligt lösenord, som ”password123”.',
    ruleUsername: 'Det får inte innehålla ditt användarnamn.',
    ruleAnything: 'Alla bokstäver, siffror, mellanslag och tecken går bra. Ingen särskild blandning behövs.',
    newPassword: 'Nytt lösenord',
    repeatPassword: 'Nytt lösenord igen',
    savePassword: 'Spara lösenordet och logga in',
    passwordsDiffer: 'Lösenorden stämmer inte överens. Skriv dem igen.',
    passwordsMatch: 'Lösenorden stämmer överens.',
    showPasswords: 'Visa lösenorden',
    strengthEmpty: '',
    strengthShort: 'För kort: {count} av minst 8 tecken.',
    strengthFair: 'Tillräckligt långt. 15 tecken eller fler är bättre.',
    strengthGood: 'Bra längd.',
    codeProblemHelp: 'Fungerar det ändå inte kan koden redan vara använd eller ha gått ut. Be din chef om en ny.',

    homeTitle: 'Ditt konto',
    welcomeClaimed: 'Välkommen! Ditt konto är klart och ditt lösenord är valt.',
    welcomeRecovered: 'Ditt nya lösenord är sparat. Du är inloggad.',
    yourUsernameIs: 'Ditt användarnamn är',
    rememberUsername: 'Skriv upp det: du loggar in med det och ditt lösenord.',
    whoHeading: 'Vem du är',
    name: 'Namn',
    username: 'Användarnamn',
    email: 'E-post',
    role: 'Roll',
    roleAdmin: 'Administratör',
    roleMember: 'Medlem',
    roleManager: 'Chef',
    noUsername: '(inget)',
    adminHint: 'Du är administratör. Hantera personer och åtkomstkoder under Personer.',
    sessionsHeading: 'Där du är inloggad',
    sessionsIntro: 'Ser du en enhet du inte känner igen, logga ut överallt och be din administratör om hjälp.',
    thisDevice: 'Den här enheten',
    signedInAt: 'Inloggad {date}',
    lastSeen: 'senast använd {date}',
    unknownDevice: 'Okänd enhet',
    deviceOn: '{browser} på {system}',
    signOutHere: 'Logga ut',
    signOutEverywhere: 'Logga ut överallt',
    signOutEverywhereHint: 'Loggar ut ditt konto på alla enheter, även den här.',
    eventsHeading: 'Senaste säkerhetshändelser',
    eventsIntro: 'Ändringar av ditt konto och inloggningar, nyast först.',
    eventsNone: 'Inga händelser ännu.',
    evRedeemedClaim: 'Du började använda ditt konto med en åtkomstkod och valde ditt lösenord',
    evRedeemedRecovery: 'Ditt lösenord valdes med en åtkomstkod',
    evIssued: 'En ny åtkomstkod skapades åt dig',
    evDeactivatedCode: 'Din åtkomstkod inaktiverades',
    evCodeFailed: 'Någon försökte använda en gammal eller inaktiverad åtkomstkod till ditt konto',
    evSignIn: 'Du loggade in',
    evSignInFailed: 'En inloggning på ditt konto misslyckades (fel lösenord)',
    evSignedOut: 'Du loggade ut',
    evSignedOutEverywhere: 'Du loggade ut överallt',
    evSessionsEndedByAdmin: 'En administratör loggade ut dig överallt',
    evCreated: 'Ditt konto skapades',
    evUpdated: 'Dina kontouppgifter ändrades',
    evClaimed: 'Du tog ditt konto i bruk',
    evPasswordChanged: 'Ditt lösenord ändrades',
    evPersonDeactivated: 'Ditt konto inaktiverades',
    evOther: 'En annan ändring av ditt konto',
    evRequested: 'Någon bad om en ny åtkomstkod åt dig',
    evBy: 'av {actor}',
    actorAdminApi: 'en administratör (via ett annat system)',
    actorAdminServer: 'en administratör (på servern)',
    actorKeyslip: 'Keyslip (automatiskt)',
  },
});

export type MessageKey = keyof typeof frontlineText.catalog.en;
