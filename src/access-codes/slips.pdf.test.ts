import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeQr, openPdf, pageImages, pageText, toRgba, type DecodedImage } from '../../test/helpers/pdf.js';
import { ALPHABET } from './access-code.js';
import { sortSlips } from './batch-slips.js';
import { fallbackFontCandidates } from './fallback-fonts.js';
import {
  fontGlyphs,
  fontPath,
  missingCharacters,
  renderSlipsPdf,
  slipExpiryDate,
  slipQrPng,
  slipQrText,
  type Slip,
  type SlipOptions,
} from './slips.pdf.js';

// pngjs ships no type declarations (and @types/pngjs is not installed): the little used here.
const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(png: Buffer): { width: number; height: number; data: Buffer } } };
};

const URL_BASE = 'https://keyslip.example.com/work/accesscode';
const EN: SlipOptions = { locale: 'en', accessCodeUrl: URL_BASE, organisation: 'Skärgårdens Vård AB' };
// Noon UTC: the same calendar date in every time zone from UTC−11 to UTC+11.
const EXPIRES_AT = Date.UTC(2031, 5, 15, 12);
const EXPIRY = '2031-06-15';

const NAMES = [
  'Åsa Öberg',
  'Łukasz Żółć',
  'Straße Weiß',
  'Nguyễn Văn An',
  'Søren Ærø',
  'Gergő Szőke',
  'Ćiril Şahin',
  'Zoë Ñúñez',
  'Eilidh Ní Bhriain',
  'Jürgen Groß',
];

/** Ten distinct valid codes: the alphabet rotated by i, first 16 letters. */
function codeFor(i: number): string {
  return (ALPHABET.slice(i) + ALPHABET.slice(0, i)).slice(0, 16);
}

function grouped(code: string): string {
  return code.match(/.{4}/g)!.join('-');
}

const SLIPS: Slip[] = NAMES.map((name, i) => ({
  name,
  username: i === 3 ? null : `${name.split(' ')[0]!.toLowerCase()}.${i}`,
  code: codeFor(i),
  expiresAt: EXPIRES_AT,
}));

async function render(slips: AsyncIterable<Slip> | Iterable<Slip>, options: SlipOptions): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await renderSlipsPdf(slips, options, out);
  return Buffer.concat(chunks);
}

const CODE_PATTERN = new RegExp(`[${ALPHABET}]{4}(?:-[${ALPHABET}]{4}){3}`, 'g');

describe('renderSlipsPdf', () => {
  let pdfBytes: Buffer;
  let pdf: PDFDocumentProxy;
  let text: string;
  let images: DecodedImage[];

  beforeAll(async () => {
    // An async iterable, as a batch streamed from the database would be.
    async function* stream(): AsyncGenerator<Slip> {
      for (const slip of SLIPS) yield slip;
    }
    pdfBytes = await render(stream(), EN);
    pdf = await openPdf(pdfBytes);
    const texts: string[] = [];
    images = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      texts.push(await pageText(page));
      images.push(...(await pageImages(page)));
    }
    text = texts.join('\n');
  });

  it('writes A4 pages of eight slips', async () => {
    expect(pdfBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.numPages).toBe(2);
    const [, , width, height] = (await pdf.getPage(1)).view;
    expect(width).toBeCloseTo(595.28, 1);
    expect(height).toBeCloseTo(841.89, 1);
  });

  it('prints every name, username, grouped code and the expiry', () => {
    for (const slip of SLIPS) {
      expect(text).toContain(slip.name);
      expect(text.replace(/\s+/g, ' ')).toContain(slip.username ?? 'you choose it the first time you use the code');
      expect(text).toContain(grouped(slip.code));
    }
    expect(text.replace(/\s+/g, ' ').match(/you choose it the first time you use the code/g)).toHaveLength(1);
    expect(text.match(CODE_PATTERN)).toHaveLength(SLIPS.length);
    expect(text.match(new RegExp(`Valid until ${EXPIRY}`, 'g'))).toHaveLength(SLIPS.length);
  });

  it('prints the heading, the address, the instructions and the warning on every slip', () => {
    const flat = text.replace(/\s+/g, ' ');
    const count = (s: string): number => flat.split(s).length - 1;
    expect(count('Your access code')).toBe(SLIPS.length);
    expect(flat).not.toContain('Keyslip');
    expect(count('Skärgårdens Vård AB')).toBe(SLIPS.length);
    expect(count(URL_BASE)).toBe(SLIPS.length);
    // A claim slip without a username says to choose one; the others, to check the one printed.
    expect(count('Then choose a username and a password.')).toBe(1);
    expect(count('Check the username, then choose a password.')).toBe(SLIPS.length - 1);
    expect(count('Keep this slip private: anyone with this code can get into your account.')).toBe(SLIPS.length);
    // The address is printed without the code.
    expect(flat).not.toContain('#code=');
  });

  it('embeds one QR image per slip, each holding its own code in the URL fragment only', () => {
    expect(images).toHaveLength(SLIPS.length);
    const decoded = images.map((image) => decodeQr(toRgba(image), image.width, image.height));
    expect(decoded).toEqual(SLIPS.map((slip) => `${URL_BASE}#code=${grouped(slip.code)}`));
    for (const content of decoded) expect(content).not.toContain('?');
  });

  it('keeps codes out of the metadata', async () => {
    const info = (await pdf.getMetadata()).info as Record<string, unknown>;
    expect(info.Title).toBe('Access codes – Skärgårdens Vård AB');
    const metadata = JSON.stringify(info);
    for (const slip of SLIPS) {
      expect(metadata).not.toContain(slip.code);
      expect(metadata).not.toContain(grouped(slip.code));
    }
  });
});

describe('slipQrText and slipQrPng', () => {
  const slip: Slip = { name: 'Åsa Öberg', username: 'asa', code: 'BCDFGHJKLMNPQRST', expiresAt: EXPIRES_AT };

  it('puts the grouped code in the fragment of the access-code address', () => {
    expect(slipQrText(slip, EN)).toBe(`${URL_BASE}#code=BCDF-GHJK-LMNP-QRST`);
    // A fragment already on the configured address is replaced, not extended.
    expect(slipQrText(slip, { ...EN, accessCodeUrl: `${URL_BASE}#old` })).toBe(`${URL_BASE}#code=BCDF-GHJK-LMNP-QRST`);
  });

  it('makes a PNG that decodes to that text', async () => {
    const png = PNG.sync.read(await slipQrPng(slip, EN));
    const content = decodeQr(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(content).toBe('https://keyslip.example.com/work/accesscode#code=BCDF-GHJK-LMNP-QRST');
    expect(content).not.toContain('?');
    expect(new URL(content!).search).toBe('');
  });

  it('refuses a malformed code rather than print it', () => {
    expect(() => slipQrText({ ...slip, code: 'BCDFGHJKLMNPQRSA' }, EN)).toThrow(/malformed/);
    expect(() => slipQrText({ ...slip, code: 'BCDF' }, EN)).toThrow(/malformed/);
  });
});

describe('renderSlipsPdf, other cases', () => {
  it('prints Swedish texts', async () => {
    const pdf = await openPdf(await render([SLIPS[0]!, SLIPS[3]!], { locale: 'sv', accessCodeUrl: URL_BASE }));
    const text = (await pageText(await pdf.getPage(1))).replace(/\s+/g, ' ');
    expect(text).toContain('Din åtkomstkod');
    expect(text).toContain('Användarnamn: åsa.0');
    expect(text).toContain('du väljer det första gången du använder koden');
    expect(text).toContain(`Giltig till ${EXPIRY}`);
    expect(text).toContain('Skanna QR-koden eller skriv in koden på adressen.');
    expect(text).toContain('Välj sedan användarnamn och lösenord.');
    expect(text).toContain('Kontrollera användarnamnet och välj sedan ett lösenord.');
    expect(text).toContain('Håll lappen hemlig');
    expect(((await pdf.getMetadata()).info as Record<string, unknown>).Title).toBe('Åtkomstkoder');
  });

  it('writes a valid one-page PDF when there are no slips', async () => {
    const pdf = await openPdf(await render([], EN));
    expect(pdf.numPages).toBe(1);
    expect(await pageText(await pdf.getPage(1))).toContain('No access codes to print.');
  });

  it('rejects, without ending the output, when a slip has a malformed code', async () => {
    const out = new PassThrough();
    out.resume();
    let ended = false;
    out.on('finish', () => (ended = true));
    await expect(renderSlipsPdf([SLIPS[0]!, { ...SLIPS[1]!, code: 'not a code' }], EN, out)).rejects.toThrow(
      /malformed/,
    );
    expect(ended).toBe(false);
  });

  it('renders long names, usernames, addresses and organisations inside the slip', async () => {
    const long: Slip = {
      name: 'Maria Magdalena Concepción Fernández de Córdoba y Álvarez de las Asturias',
      username: 'maria.magdalena.fernandez.de.cordoba',
      code: codeFor(0),
      expiresAt: EXPIRES_AT,
    };
    const pdf = await openPdf(
      await render([long], {
        locale: 'sv',
        accessCodeUrl: 'https://keyslip.example-organisation.se/a/rather/deep/path/work/accesscode',
        organisation: 'Regionens vårdförvaltning, avdelningen för logistik och service',
      }),
    );
    expect(pdf.numPages).toBe(1);
    const text = await pageText(await pdf.getPage(1));
    expect(text).toContain(grouped(long.code));
    expect(text.replace(/\s+/g, ' ')).toContain('Håll lappen hemlig');
  });
});

describe('slips to hand out: stores, order and identifiers', () => {
  // Two stores and a warehouse worker without one: 9 slips in Butik 214 (8 fit a page).
  const people: Omit<Slip, 'code' | 'expiresAt'>[] = [
    { name: 'Zlatan Öst', username: null, employeeId: 'E300', department: 'Kassa', store: 'Butik 300 Gävle' },
    { name: 'Timo Laine', username: 'timo.l', employeeId: 'E10001', department: 'Chark', store: 'Butik 214 Gränby' },
    {
      name: 'Timo Laine',
      username: 'timo.laine',
      employeeId: 'E10002',
      department: 'Kassa',
      store: 'Butik 214 Gränby',
    },
    { name: 'Åsa Öberg', username: null, employeeId: 'E3', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Anna Berg', username: 'anna.b', employeeId: 'E4', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Olle Ek', username: null, employeeId: 'E5', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Sara Sjögren', username: null, employeeId: 'E6', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Bo Ahl', username: null, employeeId: 'E7', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Eva Zetterberg', username: null, employeeId: 'E8', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Kim Ström', username: null, employeeId: 'E9', department: 'Kassa', store: 'Butik 214 Gränby' },
    { name: 'Lager Person', username: null, employeeId: null, department: null, store: null },
  ];

  it('sorts by store, department and surname, Swedish letters last, people without a store at the end', () => {
    const sorted = sortSlips(
      people.map((p) => ({
        ...p,
        employeeId: p.employeeId ?? null,
        department: p.department ?? null,
        store: p.store ?? null,
      })),
      'sv',
    );
    expect(sorted.map((p) => `${p.store ?? '-'}|${p.department ?? '-'}|${p.name}|${p.employeeId ?? '-'}`)).toEqual([
      'Butik 214 Gränby|Chark|Timo Laine|E10001',
      'Butik 214 Gränby|Kassa|Bo Ahl|E7',
      'Butik 214 Gränby|Kassa|Anna Berg|E4',
      'Butik 214 Gränby|Kassa|Olle Ek|E5',
      'Butik 214 Gränby|Kassa|Timo Laine|E10002',
      'Butik 214 Gränby|Kassa|Sara Sjögren|E6',
      'Butik 214 Gränby|Kassa|Kim Ström|E9',
      'Butik 214 Gränby|Kassa|Eva Zetterberg|E8',
      'Butik 214 Gränby|Kassa|Åsa Öberg|E3',
      'Butik 300 Gävle|Kassa|Zlatan Öst|E300',
      '-|-|Lager Person|-',
    ]);
  });

  it('starts a new page for each store, and prints the employee id, department and store on every slip', async () => {
    const sorted = sortSlips(
      people.map((p) => ({
        ...p,
        employeeId: p.employeeId ?? null,
        department: p.department ?? null,
        store: p.store ?? null,
      })),
      'sv',
    );
    const slips: Slip[] = sorted.map((p, i) => ({ ...p, code: codeFor(i), expiresAt: EXPIRES_AT }));
    const pdf = await openPdf(await render(slips, { locale: 'sv', accessCodeUrl: URL_BASE, organisation: 'Hemköp' }));
    // Butik 214: 9 slips = 8 + 1 (two pages); Butik 300: one page; no store: one page.
    expect(pdf.numPages).toBe(4);
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) pages.push((await pageText(await pdf.getPage(n))).replace(/\s+/g, ' '));
    const codesOn = (page: string): string[] => page.match(CODE_PATTERN) ?? [];
    expect(pages.map((page) => codesOn(page).length)).toEqual([8, 1, 1, 1]);
    // The order of the slips is the order of the codes on the pages.
    expect(pages.flatMap(codesOn)).toEqual(slips.map((slip) => grouped(slip.code)));
    expect(pages[0]).toContain('Anst.nr E10001 · Chark · Butik 214 Gränby');
    expect(pages[0]).toContain('Anst.nr E10002 · Kassa · Butik 214 Gränby');
    expect(pages[1]).toContain('Anst.nr E3 · Kassa · Butik 214 Gränby');
    expect(pages[2]).toContain('Anst.nr E300 · Kassa · Butik 300 Gävle');
    expect(pages[2]).not.toContain('Butik 214');
    expect(pages[3]).toContain('Lager Person');
    expect(pages[3]).not.toContain('Anst.nr');
    for (const page of pages) {
      expect(page.split('Hemköp').length - 1).toBe(codesOn(page).length);
      expect(page).not.toContain('Keyslip');
    }
    // Namesakes are told apart on paper.
    const timo = pages[0]!.split('Timo Laine').length - 1;
    expect(timo).toBe(2);
  });
});

describe('slipExpiryDate', () => {
  it('gives the calendar date in the given time zone', () => {
    const lateEvening = Date.UTC(2031, 5, 15, 22, 30);
    expect(slipExpiryDate(lateEvening, 'UTC')).toBe('2031-06-15');
    expect(slipExpiryDate(lateEvening, 'Europe/Stockholm')).toBe('2031-06-16');
    expect(slipExpiryDate(Date.UTC(2031, 0, 2, 3), 'America/New_York')).toBe('2031-01-01');
  });
});

describe('fontPath', () => {
  it('finds the shipped fonts', () => {
    for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono-Bold.ttf', 'LICENSE']) {
      expect(fontPath(file)).toMatch(/access-codes[\\/]fonts[\\/]/);
    }
  });
});

describe('missingCharacters', () => {
  const dejaVu = fontGlyphs(fontPath('DejaVuSans.ttf'));

  it('finds none in names DejaVu can print', () => {
    for (const name of ['Åsa', ...NAMES, 'Σοφία Παπαδοπούλου', 'Анна Иванова', 'عمر']) {
      expect(missingCharacters(dejaVu, name)).toEqual([]);
    }
  });

  it('lists each character DejaVu lacks once, in order, and not the spaces', () => {
    expect(missingCharacters(dejaVu, '李')).toEqual(['李']);
    expect(missingCharacters(dejaVu, 'Åsa 李小龙 李')).toEqual(['李', '小', '龙']);
    expect(missingCharacters(dejaVu, '山田\u3000太郎')).toEqual(['山', '田', '太', '郎']);
    expect(missingCharacters(dejaVu, '김민준')).toEqual(['김', '민', '준']);
  });

  it('agrees that every shipped font has printable ASCII and Latin-1 (the fast path)', () => {
    for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono-Bold.ttf']) {
      let text = '';
      for (let c = 0x20; c <= 0xff; c++) if (c < 0x7f || c >= 0xa0) text += String.fromCodePoint(c);
      expect(missingCharacters(fontGlyphs(fontPath(file)), text)).toEqual([]);
    }
  });
});

/** The PostScript names of the fonts a PDF embeds (PDFKit writes font dictionaries uncompressed). */
function embeddedFonts(pdf: Buffer): string[] {
  const names = [...pdf.toString('latin1').matchAll(/\/BaseFont \/[A-Z]{6}\+([^\s/]+)/g)].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

const CJK_SLIPS: Slip[] = [
  { name: '李小龙', username: 'li.xiaolong', code: codeFor(0), expiresAt: EXPIRES_AT },
  { name: '山田太郎', username: '山田.taro', code: codeFor(1), expiresAt: EXPIRES_AT },
  { name: '김민준', username: null, code: codeFor(2), expiresAt: EXPIRES_AT },
  { name: 'Åsa Öberg', username: 'asa', code: codeFor(3), expiresAt: EXPIRES_AT },
];
const CJK_OPTIONS: SlipOptions = { ...EN, organisation: '东京物流株式会社' };

async function cjkSlipsText(pdfBytes: Buffer): Promise<string> {
  const pdf = await openPdf(pdfBytes);
  expect(pdf.numPages).toBe(1);
  return (await pageText(await pdf.getPage(1))).replace(/\s+/g, ' ');
}

const systemFallback = fallbackFontCandidates(undefined)[0];
const SKIPPED_NO_CJK_FONT =
  ' (skipped: no CJK font on this machine; apt-get install fonts-wqy-zenhei or fonts-noto-cjk)';

describe.skipIf(systemFallback === undefined)(
  `renderSlipsPdf with a CJK fallback font${systemFallback === undefined ? SKIPPED_NO_CJK_FONT : ''}`,
  () => {
    it('prints Chinese, Japanese and Korean names, usernames and organisations', async () => {
      const pdfBytes = await render(CJK_SLIPS, CJK_OPTIONS);
      const text = await cjkSlipsText(pdfBytes);
      for (const slip of CJK_SLIPS) {
        expect(text).toContain(slip.name);
        expect(text).toContain(grouped(slip.code));
      }
      expect(text).toContain('Username: li.xiaolong');
      expect(text).toContain('Username: 山田.taro');
      expect(text).toContain('Username: you choose it the first time you use the code');
      expect(text.split('东京物流株式会社')).toHaveLength(CJK_SLIPS.length + 1);
      // Drawn with a font that has the glyphs, besides DejaVu: not as DejaVu's empty boxes.
      const fonts = embeddedFonts(pdfBytes);
      expect(fonts.filter((font) => !font.startsWith('DejaVu'))).toHaveLength(1);
      expect(fonts).toContain('DejaVuSans-Bold');
    });

    it('passes over a configured font that does not load and uses the system one', async () => {
      const broken = await render(CJK_SLIPS.slice(0, 1), { ...CJK_OPTIONS, fallbackFont: fontPath('LICENSE') });
      expect(await cjkSlipsText(broken)).toContain('李小龙');
      expect(embeddedFonts(broken).filter((font) => !font.startsWith('DejaVu'))).toHaveLength(1);
    });

    it('leaves Latin-only slips in DejaVu alone', async () => {
      const pdfBytes = await render(SLIPS.slice(0, 3), EN);
      expect(embeddedFonts(pdfBytes)).toEqual(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono-Bold']);
    });
  },
);

describe('renderSlipsPdf without any fallback font', () => {
  afterEach(() => {
    vi.doUnmock('./fallback-fonts.js');
    vi.resetModules();
  });

  it('still prints every slip, in DejaVu, with the username and code', async () => {
    vi.resetModules();
    vi.doMock('./fallback-fonts.js', () => ({ fallbackFontCandidates: () => [] }));
    const module = await import('./slips.pdf.js');
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await module.renderSlipsPdf(CJK_SLIPS, CJK_OPTIONS, out);
    const pdfBytes = Buffer.concat(chunks);
    expect(embeddedFonts(pdfBytes)).toEqual(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono-Bold']);
    const text = await cjkSlipsText(pdfBytes);
    for (const slip of CJK_SLIPS) expect(text).toContain(grouped(slip.code));
    expect(text).toContain('Username: li.xiaolong');
    expect(text).toContain('Åsa Öberg');
  });
});
