// The frontline pages over inject(): labels in both languages, CSRF on every form, the security
// headers, no caching of the access-code page, and the language switch's redirect rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CLI_ACTOR } from '../src/audit/audit.js';
import { issueAccessCode, redeemAccessCode } from '../src/access-codes/access-codes.service.js';
import { createPerson } from '../src/people/people.service.js';
import { LABELS } from '../src/http/labels.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';
import { type Browser, createTestApi, csrfOf, pageClient, sessionCookieOf } from './helpers/api.js';

describe.each(DIALECTS)('frontline pages (%s)', (dialect) => {
  let context: TestContext;
  let app: FastifyInstance;

  const { get, post } = pageClient(() => app);

  beforeAll(async () => {
    context = await createTestContext(dialect);
    app = (await createTestApi(context)).app;
  });
  afterAll(async () => {
    await app.close();
    await context.close();
  });

  it('shows /login with the contract labels in English and, for a Swedish browser, in Swedish', async () => {
    const en = await get({ cookies: new Map() }, '/login', { 'accept-language': 'en-GB,en;q=0.9' });
    expect(en.statusCode).toBe(200);
    expect(en.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(en.body).toContain('<html lang="en">');
    for (const text of [LABELS.en.signIn, LABELS.en.troubleSigningIn, LABELS.en.haveAccessCode])
      expect(en.body).toContain(text);
    expect(en.body).toContain('href="/help/login"');
    expect(en.body).toContain('href="/work/accesscode"');

    const sv = await get({ cookies: new Map() }, '/login', { 'accept-language': 'sv-SE,sv;q=0.9,en;q=0.5' });
    expect(sv.body).toContain('<html lang="sv">');
    for (const text of [LABELS.sv.signIn, LABELS.sv.troubleSigningIn, LABELS.sv.haveAccessCode])
      expect(sv.body).toContain(text);
  });

  it('follows Accept-Language q-values, and the language cookie wins over the header', async () => {
    const preferSv = await get({ cookies: new Map() }, '/help/login', {
      'accept-language': 'de;q=1, en;q=0.3, sv-FI;q=0.8',
    });
    expect(preferSv.body).toContain('<html lang="sv">');
    expect(preferSv.body).toContain(LABELS.sv.troubleSigningIn);
    const withCookie = await get({ cookies: new Map([['keyslip_lang', 'en']]) }, '/help/login', {
      'accept-language': 'sv',
    });
    expect(withCookie.body).toContain('<html lang="en">');
    const unknown = await get({ cookies: new Map() }, '/help/login', { 'accept-language': 'fi, de' });
    expect(unknown.body).toContain('<html lang="en">');
  });

  it('shows the access-code page with its labelled field in both languages, never cached', async () => {
    const en = await get({ cookies: new Map() }, '/work/accesscode', { 'accept-language': 'en' });
    expect(en.statusCode).toBe(200);
    expect(en.headers['cache-control']).toBe('no-store');
    expect(en.body).toContain(`<label for="code">${LABELS.en.accessCode}</label>`);
    expect(en.body).toMatch(
      /<input id="code"[^>]*autocomplete="off"[^>]*autocapitalize="characters"[^>]*spellcheck="false"/,
    );
    expect(en.body).toContain('<script src="/assets/accesscode.js" defer></script>');
    const sv = await get({ cookies: new Map() }, '/work/accesscode', { 'accept-language': 'sv-SE' });
    expect(sv.body).toContain(`<label for="code">${LABELS.sv.accessCode}</label>`);
  });

  it('sends a CSP without unsafe-inline scripts, and serves the stylesheet and script', async () => {
    const page = await get({ cookies: new Map() }, '/login');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.body).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style/);
    const css = await get({ cookies: new Map() }, '/assets/app.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    const js = await get({ cookies: new Map() }, '/assets/accesscode.js');
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('history.replaceState');
  });

  it('refuses a form POST without its _csrf field with a 403 page, and one from another site', async () => {
    const browser: Browser = { cookies: new Map() };
    await get(browser, '/login');
    const missing = await post(browser, '/login', { login: 'someone', password: 'whatever password' });
    expect(missing.statusCode).toBe(403);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body).toContain('The form expired');
    const withReferrer = await post(
      browser,
      '/login',
      { login: 'someone', password: 'x' },
      { referer: 'http://localhost:80/login?next=%2F' },
    );
    expect(withReferrer.statusCode).toBe(403);
    expect(withReferrer.body).toContain('<a class="button" href="/login?next=%2F">Go back and try again</a>');
    const page = await get(browser, '/work/accesscode');
    const crossSite = await post(
      browser,
      '/work/accesscode',
      { _csrf: csrfOf(page.body), step: 'check', code: 'BCDF-GHJK-LMNP-QRST' },
      { origin: 'https://evil.example' },
    );
    expect(crossSite.statusCode).toBe(403);
    // A token made for another browser's cookie is refused too.
    const other: Browser = { cookies: new Map() };
    await get(other, '/login');
    const stolen = await post(other, '/login', { _csrf: csrfOf(page.body), login: 'x', password: 'y' });
    expect(stolen.statusCode).toBe(403);
  });

  it('the language switch sets a lasting cookie and goes back to a same-site path only', async () => {
    const ok = await get({ cookies: new Map() }, '/lang/sv?next=%2Fhelp%2Flogin');
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/help/login');
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/^keyslip_lang=sv;/);
    expect(cookie).toMatch(/Max-Age=31536000/);
    expect(cookie).toMatch(/SameSite=Lax/);
    for (const next of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aSet-Cookie:x',
      'evil.example',
    ]) {
      const response = await get({ cookies: new Map() }, `/lang/en?next=${encodeURIComponent(next)}`);
      expect(response.statusCode).toBe(303);
      const location = String(response.headers.location);
      expect(location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\')).toBe(true);
      expect(location).not.toContain('evil');
    }
    const bad = await get({ cookies: new Map() }, '/lang/de?next=/');
    expect(bad.statusCode).toBe(404);
    expect(bad.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it("answers an unknown page with an HTML 404 in the visitor's language, and the API still with JSON", async () => {
    const page = await get({ cookies: new Map() }, '/no/such/page', { 'accept-language': 'sv' });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Sidan hittades inte');
    expect(page.body).toContain('Det finns ingen sida på den här adressen.');
    const api = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: { accept: 'text/html' } });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('not_found');
  });

  it('sends the home page to /login when not signed in', async () => {
    const home = await get({ cookies: new Map() }, '/');
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/login');
  });

  it(
    'a worker recovers with a code through the forms, ' + 'lands on home with the event, signs out and in again',
    async () => {
      const person = await createPerson(
        context.deps,
        { name: 'Åsa Öberg', username: 'asa.oberg', employeeId: 'E1' },
        CLI_ACTOR,
      );
      const claim = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
      await redeemAccessCode(context.deps, {
        code: claim.code,
        username: 'asa.oberg',
        password: 'first password here',
        client: { ip: '10.0.0.9', userAgent: null },
      });
      const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
      const browser: Browser = { cookies: new Map() };
      const sv = { 'accept-language': 'sv-SE' };

      const step1 = await get(browser, '/work/accesscode', sv);
      const wrong = await post(
        browser,
        '/work/accesscode',
        { _csrf: csrfOf(step1.body), step: 'check', code: 'BCDF-GHJK-LMNP-QRST' },
        sv,
      );
      expect(wrong.statusCode).toBe(400);
      // "Check the letters" comes first; "ask your manager" only if that does not help.
      const checkLetters = wrong.body.indexOf('Kontrollera bokstäverna och försök igen.');
      expect(checkLetters).toBeGreaterThan(-1);
      expect(wrong.body.indexOf('Be din chef om en ny.')).toBeGreaterThan(checkLetters);
      expect(wrong.body).toContain('koden redan vara använd eller ha gått ut');

      // Input that cannot be a code says why, and never counts as a failure of the address.
      const failuresOfAddress = async (): Promise<number> =>
        (await context.deps.db.selectFrom('rate_limits').select(['key', 'count']).execute())
          .filter((row) => row.key.startsWith('code:'))
          .reduce((sum, row) => sum + row.count, 0);
      const failuresBefore = await failuresOfAddress();
      for (const [typed, says] of [
        ['BCDF-GHJK-LMNP-QRSI', '”I” finns aldrig i en kod – står det J, L eller T?'],
        ['BCDF-GHJK-LMNP-QR0T', '”0” finns aldrig i en kod – står det D eller Q?'],
        ['BCDF-GHJK-LMNP-QRS', 'Du har skrivit 15 av de 16 bokstäverna.'],
      ] as const) {
        const malformed = await post(
          browser,
          '/work/accesscode',
          { _csrf: csrfOf(step1.body), step: 'check', code: typed },
          sv,
        );
        expect(malformed.statusCode).toBe(400);
        expect(malformed.body).toContain(says);
        expect(malformed.body).toContain(`value="${typed}"`);
      }
      expect(await failuresOfAddress()).toBe(failuresBefore);

      const step2 = await post(
        browser,
        '/work/accesscode',
        { _csrf: csrfOf(step1.body), step: 'check', code: issued.code.toLowerCase().replace(/-/g, ' ') },
        sv,
      );
      expect(step2.statusCode).toBe(200);
      expect(step2.headers['cache-control']).toBe('no-store');
      expect(step2.body).toContain('asa.oberg');
      const step3 = await post(
        browser,
        '/work/accesscode',
        { _csrf: csrfOf(step2.body), step: 'confirm', code: issued.code, username: 'asa.oberg' },
        sv,
      );
      expect(step3.body).toContain('name="password2"');

      const differ = await post(
        browser,
        '/work/accesscode',
        {
          _csrf: csrfOf(step3.body),
          step: 'redeem',
          code: issued.code,
          username: 'asa.oberg',
          password: 'correct horse battery',
          password2: 'correct horse batter',
        },
        sv,
      );
      expect(differ.body).toContain('Lösenorden stämmer inte överens');
      const weak = await post(
        browser,
        '/work/accesscode',
        {
          _csrf: csrfOf(step3.body),
          step: 'redeem',
          code: issued.code,
          username: 'asa.oberg',
          password: 'short',
          password2: 'short',
        },
        sv,
      );
      expect(weak.body).toContain('Använd minst 8 tecken');

      const done = await post(
        browser,
        '/work/accesscode',
        {
          _csrf: csrfOf(step3.body),
          step: 'redeem',
          code: issued.code,
          username: 'asa.oberg',
          password: 'correct horse battery',
          password2: 'correct horse battery',
        },
        sv,
      );
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe('/?welcome=recovered');
      expect(sessionCookieOf(done.headers['set-cookie'])).not.toBeNull();

      const home = await get(browser, '/', sv);
      expect(home.statusCode).toBe(200);
      expect(home.headers['cache-control']).toBe('no-store');
      expect(home.body).toContain('Åsa Öberg');
      expect(home.body).toContain('Ditt lösenord valdes med en åtkomstkod');
      expect(home.body).toContain('En ny åtkomstkod skapades åt dig');
      expect(home.body).toContain('Den här enheten');

      const again = await post(
        browser,
        '/work/accesscode',
        { _csrf: csrfOf(home.body), step: 'check', code: issued.code },
        sv,
      );
      expect(again.body).toContain('Fungerar det ändå inte kan koden redan vara använd');

      const out = await post(browser, '/logout', { _csrf: csrfOf(home.body) }, sv);
      expect(out.statusCode).toBe(303);
      expect(out.headers.location).toBe('/login?signedout=1');
      expect((await get(browser, '/', sv)).headers.location).toBe('/login');

      const login = await get(browser, '/login?signedout=1', sv);
      expect(login.body).toContain('Du är utloggad.');
      const failed = await post(
        browser,
        '/login',
        { _csrf: csrfOf(login.body), login: 'asa.oberg', password: 'wrong password' },
        sv,
      );
      expect(failed.statusCode).toBe(401);
      expect(failed.body).toContain('Användarnamnet eller lösenordet är fel.');
      const signedIn = await post(
        browser,
        '/login',
        { _csrf: csrfOf(login.body), login: 'ASA.OBERG', password: 'correct horse battery' },
        sv,
      );
      expect(signedIn.statusCode).toBe(303);
      expect(signedIn.headers.location).toBe('/');
      const home2 = await get(browser, '/', sv);
      expect(home2.body).toContain('En inloggning på ditt konto misslyckades');
      expect((await get(browser, '/login')).headers.location).toBe('/');
    },
  );

  it('the username step suggests one made from the name, and free ones when the typed one is taken', async () => {
    await createPerson(context.deps, { name: 'Sara Sjögren', username: 'sara.sjogren' }, CLI_ACTOR);
    const person = await createPerson(
      context.deps,
      { name: 'Sara Sjögren', employeeId: 'E214-7', location: 'Butik 214 Uppsala Gränby' },
      CLI_ACTOR,
    );
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map() };
    const sv = { 'accept-language': 'sv-SE' };
    const step1 = await get(browser, '/work/accesscode', sv);
    const choose = await post(
      browser,
      '/work/accesscode',
      { _csrf: csrfOf(step1.body), step: 'check', code: issued.code },
      sv,
    );
    // "sara.sjogren" is a colleague's: the field holds the best free one, the others are a tap away.
    expect(choose.body).toMatch(/id="username"[^>]*value="sara\.sjogren\.granby"/);
    expect(choose.body).toContain('Vi har gjort ett förslag utifrån ditt namn.');
    expect(choose.body).toContain('inte å, ä eller ö');
    expect(choose.body).toContain('<button type="submit" class="button-secondary suggestion">sara.sjogren2</button>');
    const taken = await post(
      browser,
      '/work/accesscode',
      { _csrf: csrfOf(choose.body), step: 'choose', code: issued.code, username: 'Sara.Sjogren' },
      sv,
    );
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('”sara.sjogren” är upptaget.');
    expect(taken.body).toContain('De här är lediga');
    expect(taken.body).toContain('>sara.sjogren.granby</button>');
    // One tap on a suggestion (its own small form) goes straight to the password.
    const tapped = await post(
      browser,
      '/work/accesscode',
      { _csrf: csrfOf(taken.body), step: 'choose', code: issued.code, username: 'sara.sjogren2' },
      sv,
    );
    expect(tapped.body).toContain('Välj ett lösenord för <strong>sara.sjogren2</strong>.');
  });

  it('a first claim of a username set by HR says to write it down and confirms by first name', async () => {
    const person = await createPerson(context.deps, { name: 'Timo Laine', username: 'e10003' }, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map() };
    const step1 = await get(browser, '/work/accesscode');
    const confirm = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(step1.body),
      step: 'check',
      code: issued.code,
    });
    expect(confirm.body).toContain('<h1>Your username</h1>');
    expect(confirm.body).toContain('This code is for Timo.');
    expect(confirm.body).toContain('Write it down: you need it every time you sign in.');
    expect(confirm.body).toContain('Yes, I am Timo');
    expect(confirm.body).toContain('>e10003</p>');
  });

  it('a new account without a username is claimed by choosing one; a taken one is refused', async () => {
    await createPerson(context.deps, { name: 'Taken Name', username: 'taken.name' }, CLI_ACTOR);
    const person = await createPerson(context.deps, { name: 'Bo Ek', employeeId: 'E2' }, CLI_ACTOR);
    const issued = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    const browser: Browser = { cookies: new Map() };
    const step1 = await get(browser, '/work/accesscode');
    const choose = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(step1.body),
      step: 'check',
      code: issued.code,
    });
    expect(choose.body).toContain('Choose a username');
    expect(choose.body).toContain('data-check-url="/api/v1/access-code/username-available"');
    const taken = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(choose.body),
      step: 'choose',
      code: issued.code,
      username: 'Taken.Name',
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('“taken.name” is taken');
    const invalid = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(choose.body),
      step: 'choose',
      code: issued.code,
      username: 'a',
    });
    expect(invalid.statusCode).toBe(400);
    const step3 = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(choose.body),
      step: 'choose',
      code: issued.code,
      username: 'Bo.Ek',
    });
    expect(step3.body).toContain('Choose a password for <strong>bo.ek</strong>.');
    const done = await post(browser, '/work/accesscode', {
      _csrf: csrfOf(step3.body),
      step: 'redeem',
      code: issued.code,
      username: 'bo.ek',
      password: 'a long enough passphrase',
      password2: 'a long enough passphrase',
    });
    expect(done.headers.location).toBe('/?welcome=claimed');
    const home = await get(browser, '/?welcome=claimed');
    expect(home.body).toContain('Welcome! Your account is ready');
    expect(home.body).toContain('bo.ek');
  });

  it('shows the wait on a 429 after too many wrong codes', async () => {
    const browser: Browser = { cookies: new Map() };
    const page = await get(browser, '/work/accesscode');
    let last = null as Awaited<ReturnType<typeof post>> | null;
    // Earlier tests in this file spent a failure or two of this address's allowance.
    for (let i = 0; i <= context.deps.config.rateCodeFailures + 1; i += 1) {
      last = await post(browser, '/work/accesscode', {
        _csrf: csrfOf(page.body),
        step: 'check',
        code: 'BCDF-GHJK-LMNP-QRST',
      });
      if (last.statusCode === 429) break;
    }
    expect(last!.statusCode).toBe(429);
    expect(last!.headers['retry-after']).toMatch(/^\d+$/);
    // One sentence, naming the shared network, with the wait.
    expect(last!.body).toMatch(
      /Too many wrong codes from this network \(everyone here shares it\)\. Try again in \d+ minutes\./,
    );
    expect(last!.body).not.toContain('Wait a while');
  });

  it('slows sign-in after five wrong passwords in a row and says how long to wait', async () => {
    const person = await createPerson(context.deps, { name: 'Cleo Lind', username: 'cleo.lind' }, CLI_ACTOR);
    const claim = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(context.deps, {
      code: claim.code,
      username: 'cleo.lind',
      password: 'the right passphrase',
      client: { ip: '10.0.0.2', userAgent: null },
    });
    const browser: Browser = { cookies: new Map() };
    const page = await get(browser, '/login', { 'accept-language': 'sv' });
    for (let i = 0; i < 5; i += 1) {
      const failed = await post(
        browser,
        '/login',
        { _csrf: csrfOf(page.body), login: 'cleo.lind', password: `wrong ${i}` },
        { 'accept-language': 'sv' },
      );
      expect(failed.statusCode).toBe(401);
    }
    const limited = await post(
      browser,
      '/login',
      { _csrf: csrfOf(page.body), login: 'cleo.lind', password: 'the right passphrase' },
      { 'accept-language': 'sv' },
    );
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body).toContain('För många försök.');
    expect(limited.body).toContain('Vänta en sekund och försök igen.');
    expect(limited.body).toContain('value="cleo.lind"');
    context.clock.advance(1000);
    const signedIn = await post(browser, '/login', {
      _csrf: csrfOf(page.body),
      login: 'cleo.lind',
      password: 'the right passphrase',
    });
    expect(signedIn.statusCode).toBe(303);
  });

  it('"sign out everywhere" ends the sessions on every device', async () => {
    const person = await createPerson(context.deps, { name: 'Dan Berg', username: 'dan.berg' }, CLI_ACTOR);
    const claim = await issueAccessCode(context.deps, { personId: person.id, actor: CLI_ACTOR });
    await redeemAccessCode(context.deps, {
      code: claim.code,
      username: 'dan.berg',
      password: 'the right passphrase',
      client: { ip: '10.0.0.3', userAgent: null },
    });
    const phone: Browser = { cookies: new Map() };
    const tablet: Browser = { cookies: new Map() };
    for (const device of [phone, tablet]) {
      const page = await get(device, '/login');
      expect(
        (
          await post(device, '/login', {
            _csrf: csrfOf(page.body),
            login: 'dan.berg',
            password: 'the right passphrase',
          })
        ).statusCode,
      ).toBe(303);
    }
    const home = await get(phone, '/');
    // The redemption's own session, the phone's and the tablet's; the phone's is marked.
    expect(home.body.match(/<li>\s*<strong>/g)).toHaveLength(3);
    expect(home.body.match(/This device/g)).toHaveLength(1);
    const out = await post(phone, '/logout-everywhere', { _csrf: csrfOf(home.body) });
    expect(out.headers.location).toBe('/login?signedout=all');
    expect((await get(tablet, '/')).headers.location).toBe('/login');
    expect((await get(phone, '/login?signedout=all')).body).toContain('You are signed out on every device.');
  });

  it('the help page names the configured support contact, or the admin when there is none', async () => {
    const page = await get({ cookies: new Map() }, '/help/login');
    expect(page.body).toContain('Contact your admin');
    const other = await createTestContext(dialect, {
      env: { KEYSLIP_SUPPORT_CONTACT: 'IT desk, phone 010-123 45 67' },
    });
    const otherApp = (await createTestApi(other)).app;
    try {
      const configured = await otherApp.inject({
        method: 'GET',
        url: '/help/login',
        headers: { 'accept-language': 'sv' },
      });
      expect(configured.body).toContain('Kontakt: IT desk, phone 010-123 45 67');
      expect(configured.body).toContain('Caps Lock');
    } finally {
      await otherApp.close();
      await other.close();
    }
  });

  it('escapes what people typed', async () => {
    const browser: Browser = { cookies: new Map() };
    const page = await get(browser, '/login');
    const failed = await post(browser, '/login', {
      _csrf: csrfOf(page.body),
      login: '"><script>alert(1)</script>',
      password: 'x',
    });
    expect(failed.body).not.toContain('<script>alert(1)</script>');
    expect(failed.body).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
