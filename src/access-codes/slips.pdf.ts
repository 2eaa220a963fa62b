// Printable access-code slips: A4 pages of 2 × 4 cut-out slips, one per person, each with the
// organisation's name, the grouped code, the person's name and username, their employee id,
// department and store (namesakes are common: a chain had four "Timo Laine"), the expiry date,
// the access-code page address, short instructions and a QR code that opens that page with the
// code in the URL fragment. A new store starts a new page, so each store's slips can be handed
// over as a bundle (the order itself comes from the caller: batch-slips.ts).
//
// Fonts: DejaVu Sans and DejaVu Sans Mono (./fonts, licence in ./fonts/LICENSE) cover every
// Latin script (å ø ß Ł ő ş ễ …), Greek, Cyrillic, Arabic and Hebrew; PDFKit's built-in Helvetica
// cannot. A text with characters DejaVu lacks (a Chinese, Japanese or Korean name) is drawn with
// a fallback font found on the machine (./fallback-fonts.ts) — or, when there is none, still
// printed, the missing characters as empty boxes.
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type PdfKit from 'pdfkit';
import type QRCodeLibrary from 'qrcode';
import type { QRCodeToBufferOptions } from 'qrcode';
import { formatAccessCode, normaliseAccessCode } from './access-code.js';
import { fallbackFontCandidates } from './fallback-fonts.js';
import { slipText } from './slip.messages.js';

// PDFKit and the QR code library take a quarter of a second to load, and a server prints slips
// seldom: they are loaded on first use, so that starting (or restarting) Keyslip does not wait.
const require = createRequire(import.meta.url);
let pdfKit: typeof PdfKit | undefined;
let qrCodes: typeof QRCodeLibrary | undefined;

function newPdf(options: PDFKit.PDFDocumentOptions): PDFKit.PDFDocument {
  pdfKit ??= require('pdfkit') as typeof PdfKit;
  return new pdfKit(options);
}

export interface Slip {
  name: string;
  /** null when the person chooses a username at first sign-in. */
  username: string | null;
  /** The 16 letters, ungrouped (grouped input is accepted too). */
  code: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** HR's number, to tell namesakes apart. */
  employeeId?: string | null;
  department?: string | null;
  /** The store (area or location) the slip is handed out in: a new store starts a new page. */
  store?: string | null;
}

export interface SlipOptions {
  locale: 'en' | 'sv';
  /** The access-code page, e.g. https://keyslip.example.com/work/accesscode (no fragment). */
  accessCodeUrl: string;
  organisation?: string;
  /** IANA time zone for the printed expiry date; default: this process's local time zone. */
  timeZone?: string;
  /**
   * Font file for texts DejaVu cannot draw (KEYSLIP_PDF_FALLBACK_FONT; a collection as
   * `file.ttc#PostScriptName`), tried before the well-known system CJK fonts.
   */
  fallbackFont?: string;
}

// ---------------------------------------------------------------------------
// Fonts

const FONT_FILES = {
  sans: 'DejaVuSans.ttf',
  sansBold: 'DejaVuSans-Bold.ttf',
  monoBold: 'DejaVuSansMono-Bold.ttf',
} as const;
type FontName = keyof typeof FONT_FILES;

/**
 * Where a font file is. Beside this module when running from `src` (tests, tsx). The build
 * (`tsc`, into `dist/src`) does not copy .ttf files, so from `dist/src/access-codes/` we fall
 * back to the same file in the source tree.
 */
export function fontPath(file: string): string {
  const candidates = [
    new URL(`./fonts/${file}`, import.meta.url),
    new URL(`../../../src/access-codes/fonts/${file}`, import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`Font ${file} not found; looked in: ${candidates.map((u) => fileURLToPath(u)).join(', ')}`);
}

let fontData: Record<FontName, Buffer> | null = null;

/** The font files, read once on first use (about 1.8 MB). */
function fonts(): Record<FontName, Buffer> {
  fontData ??= {
    sans: readFileSync(fontPath(FONT_FILES.sans)),
    sansBold: readFileSync(fontPath(FONT_FILES.sansBold)),
    monoBold: readFileSync(fontPath(FONT_FILES.monoBold)),
  };
  return fontData;
}

/** What fontkit fonts (inside PDFKit's embedded fonts) tell about their coverage. */
export interface GlyphSet {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/** Not drawn, so never missing: spaces, controls and invisible format characters. */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}]/u;

/** Printable ASCII and Latin-1: every shipped DejaVu font has all of them (a test checks). */
const DEJAVU_FOR_SURE = /^[\x20-\x7e\xa0-\xff]*$/;

/** The distinct characters of `text` that `font` has no glyph for, in order of appearance. */
export function missingCharacters(font: GlyphSet, text: string): string[] {
  const missing = new Set<string>();
  for (const char of text) {
    if (!INVISIBLE.test(char) && !font.hasGlyphForCodePoint(char.codePointAt(0)!)) missing.add(char);
  }
  return [...missing];
}

/**
 * The fontkit font behind the document's current font. PDFKit keeps it, undocumented, as `font`
 * on its embedded fonts; should that change, this gives null and no fallback is used.
 */
function currentGlyphs(doc: Doc): GlyphSet | null {
  const font = (doc as unknown as { _font?: { font?: Partial<GlyphSet> } })._font?.font;
  return typeof font?.hasGlyphForCodePoint === 'function' ? (font as GlyphSet) : null;
}

/** The glyph coverage of a font file (a collection's face by PostScript name). */
export function fontGlyphs(src: string | Buffer, postscriptName?: string): GlyphSet {
  const doc = newPdf({ autoFirstPage: false });
  if (postscriptName === undefined) doc.font(src);
  else doc.font(src, postscriptName);
  const glyphs = currentGlyphs(doc);
  if (glyphs === null) throw new Error("PDFKit no longer exposes its fonts' glyphs");
  return glyphs;
}

/** How a text is drawn: in which registered font, and whether to embolden it with a stroke. */
interface Face {
  font: string;
  fauxBold: boolean;
}

/** Outline stroke, as a share of the font size, that makes a regular fallback face look bold. */
const FAUX_BOLD_STROKE = 0.035;

/** Sets the document's font for a text; the fallback font is loaded only when first needed. */
type FontPicker = (font: FontName, text: string) => Face;

function fontPicker(doc: Doc, fallbackSetting: string | undefined): FontPicker {
  /** undefined: not looked for yet; null: none that loads. */
  let fallback: { bold: boolean } | null | undefined;

  const loadFallback = (): { bold: boolean } | null => {
    if (fallback !== undefined) return fallback;
    fallback = null;
    for (const candidate of fallbackFontCandidates(fallbackSetting)) {
      try {
        // PDFKit reads and parses the file on first use: a broken file or a face name that
        // is not in the collection throws here, and the next candidate is tried.
        doc.registerFont('fallback', candidate.regular.path, candidate.regular.postscriptName);
        doc.font('fallback');
      } catch {
        continue;
      }
      let bold = false;
      if (candidate.bold) {
        try {
          doc.registerFont('fallbackBold', candidate.bold.path, candidate.bold.postscriptName);
          doc.font('fallbackBold');
          bold = true;
        } catch {
          // The regular face, emboldened, will do.
        }
      }
      fallback = { bold };
      break;
    }
    return fallback;
  };

  return (font, text) => {
    doc.font(font);
    if (DEJAVU_FOR_SURE.test(text)) return { font, fauxBold: false };
    const glyphs = currentGlyphs(doc);
    const missing = glyphs === null ? 0 : missingCharacters(glyphs, text).length;
    if (missing === 0) return { font, fauxBold: false };
    const loaded = loadFallback();
    if (loaded !== null) {
      const bold = font !== 'sans';
      const face: Face =
        bold && loaded.bold ? { font: 'fallbackBold', fauxBold: false } : { font: 'fallback', fauxBold: bold };
      doc.font(face.font);
      const fallbackGlyphs = currentGlyphs(doc);
      // The fallback may lack what DejaVu has (a rare Latin letter beside a Chinese one): the
      // font that misses fewer characters wins.
      if (fallbackGlyphs !== null && missingCharacters(fallbackGlyphs, text).length < missing) return face;
    }
    doc.font(font);
    return { font, fauxBold: false };
  };
}

// ---------------------------------------------------------------------------
// Texts: slipText (slip.messages.ts), shared with the slip on the admin's page.

type Texts = (typeof slipText.catalog)['en'];

// ---------------------------------------------------------------------------
// Helpers (exported for tests)

/** The slip's code as printed, `BCDF-GHJK-LMNP-QRST`; throws on anything that is not a code. */
export function groupedSlipCode(slip: Slip): string {
  const code = normaliseAccessCode(slip.code);
  if (code === null) throw new Error('Slip has a malformed access code');
  return formatAccessCode(code);
}

/** The access-code page address as printed: the configured URL without any fragment. */
function pageAddress(options: SlipOptions): string {
  const hash = options.accessCodeUrl.indexOf('#');
  return hash === -1 ? options.accessCodeUrl : options.accessCodeUrl.slice(0, hash);
}

/**
 * What the QR code holds: the access-code page with the grouped code in the fragment only
 * (`…/accesscode#code=BCDF-GHJK-LMNP-QRST`). A fragment is never sent to the server, so the
 * code stays out of access logs, proxies and Referer headers.
 */
export function slipQrText(slip: Slip, options: SlipOptions): string {
  return `${pageAddress(options)}#code=${groupedSlipCode(slip)}`;
}

const QR_OPTIONS: QRCodeToBufferOptions = {
  errorCorrectionLevel: 'M',
  margin: 1,
  scale: 4,
  // Passed on to pngjs: 8-bit greyscale without alpha and unfiltered rows. PDFKit then embeds
  // the PNG's data as it is, where RGBA would make it split off and compress an alpha mask;
  // about a third faster per slip. (@types/qrcode lists only the deflate options.)
  rendererOpts: { colorType: 0, filterType: 0 } as QRCodeToBufferOptions['rendererOpts'],
};

/** The QR code as a PNG image (1-module quiet zone, 4 px per module, error correction M). */
export function slipQrPng(slip: Slip, options: SlipOptions): Promise<Buffer> {
  qrCodes ??= require('qrcode') as typeof QRCodeLibrary;
  return qrCodes.toBuffer(slipQrText(slip, options), QR_OPTIONS);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The expiry as YYYY-MM-DD in the given (default: local) time zone. */
export function slipExpiryDate(expiresAt: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let format = dateFormats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(key, format);
  }
  const parts = format.formatToParts(new Date(expiresAt));
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

// ---------------------------------------------------------------------------
// Layout (PDF points; A4 is 595.28 × 841.89)

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const COLUMNS = 2;
const ROWS = 4;
const SLIPS_PER_PAGE = COLUMNS * ROWS;
/** Kept clear of print: most printers cannot print the outer ~5 mm. */
const PAGE_MARGIN = 18;
const SLIP_WIDTH = (PAGE_WIDTH - 2 * PAGE_MARGIN) / COLUMNS;
const SLIP_HEIGHT = (PAGE_HEIGHT - 2 * PAGE_MARGIN) / ROWS;
const PADDING_X = 14;
const PADDING_Y = 12;
const INNER_WIDTH = SLIP_WIDTH - 2 * PADDING_X;
const INNER_HEIGHT = SLIP_HEIGHT - 2 * PADDING_Y;
const QR_SIZE = 80;
const COLUMN_GAP = 10;
const LEFT_WIDTH = INNER_WIDTH - QR_SIZE - COLUMN_GAP;

const NAME_SIZES = [12, 10.5, 9.5] as const;

const TEXT_COLOUR = '#000000';
const MUTED_COLOUR = '#333333';
const CUT_COLOUR = '#888888';

/** Unpiped output above this makes rendering wait for `out` to drain. */
const HIGH_WATER_MARK = 1024 * 1024;

type Doc = PDFKit.PDFDocument;

/** The document, and how to pick the font for a text. */
interface Pen {
  doc: Doc;
  font: FontPicker;
}

interface TextBox {
  font: FontName;
  size: number;
  width: number;
  maxLines: number;
  colour?: string;
}

/**
 * Writes text at (x, y) in at most `maxLines` lines (an ellipsis ends a cut) and returns the y
 * below it; with `draw` false it only measures.
 */
function put(pen: Pen, draw: boolean, text: string, x: number, y: number, box: TextBox): number {
  const { doc } = pen;
  const face = pen.font(box.font, text);
  const colour = box.colour ?? TEXT_COLOUR;
  doc.fontSize(box.size).fillColor(colour);
  const maxHeight = doc.currentLineHeight(true) * box.maxLines;
  const height = Math.min(doc.heightOfString(text, { width: box.width }), maxHeight);
  if (draw) {
    const options: PDFKit.Mixins.TextOptions = {
      width: box.width,
      height: maxHeight + 0.01,
      ellipsis: true,
      align: 'left',
    };
    if (face.fauxBold) {
      doc
        .save()
        .lineWidth(box.size * FAUX_BOLD_STROKE)
        .strokeColor(colour);
      doc.text(text, x, y, { ...options, fill: true, stroke: true });
      doc.restore();
    } else {
      doc.text(text, x, y, options);
    }
  }
  return y + height;
}

function drawCutLines(doc: Doc): void {
  doc.save().lineWidth(0.5).strokeColor(CUT_COLOUR).dash(4, { space: 3 });
  for (let column = 0; column <= COLUMNS; column++) {
    const x = PAGE_MARGIN + column * SLIP_WIDTH;
    doc.moveTo(x, 0).lineTo(x, PAGE_HEIGHT).stroke();
  }
  for (let row = 0; row <= ROWS; row++) {
    const y = PAGE_MARGIN + row * SLIP_HEIGHT;
    doc.moveTo(0, y).lineTo(PAGE_WIDTH, y).stroke();
  }
  doc.undash().restore();
}

/** Where the address goes, and the spaces between blocks. */
interface Arrangement {
  /** Address beside the QR code (below the expiry) rather than full width below the code. */
  addressBeside: boolean;
  /** Space above the code, below the code, and above the warning. */
  gaps: [number, number, number];
}

/** Tried in turn; the first in which everything fits is used. */
const ARRANGEMENTS: readonly Arrangement[] = [
  { addressBeside: false, gaps: [7, 4, 4] },
  { addressBeside: true, gaps: [7, 4, 4] },
  { addressBeside: false, gaps: [3, 2, 2] },
  { addressBeside: true, gaps: [3, 2, 2] },
];

interface SlipContent {
  organisation: string | undefined;
  name: string;
  /** "Employee id E10423 · Kassa · Butik 214": who exactly, when names are alike. */
  details: string;
  /** What to do: choose a username, or check the one printed. */
  instructions: string;
  /** null: the "choose at first sign-in" text. */
  username: string | null;
  code: string;
  expiry: string;
  address: string;
}

/**
 * Lays out one slip in its slot (0 … 7) and draws it, or with `qrPng` null only measures it.
 * Returns how far the content would run below the slip's printable area with the instructions
 * uncut (≤ 0: it fits). When drawing, the instructions are cut to what space is left.
 */
function layoutSlip(
  pen: Pen,
  slot: number,
  content: SlipContent,
  texts: Texts,
  arrangement: Arrangement,
  qrPng: Buffer | null,
): number {
  const { doc } = pen;
  const draw = qrPng !== null;
  const column = slot % COLUMNS;
  const row = Math.floor(slot / COLUMNS);
  const left = PAGE_MARGIN + column * SLIP_WIDTH + PADDING_X;
  const top = PAGE_MARGIN + row * SLIP_HEIGHT + PADDING_Y;
  const bottom = top + INNER_HEIGHT;
  const [gapAboveCode, gapBelowCode, gapAboveWarning] = arrangement.gaps;

  if (qrPng !== null) {
    doc.image(qrPng, left + INNER_WIDTH - QR_SIZE, top, { width: QR_SIZE, height: QR_SIZE });
  }

  // Beside the QR code: who, and until when.
  let y = top;
  if (content.organisation) {
    y = put(pen, draw, content.organisation, left, y, {
      font: 'sans',
      size: 9,
      width: LEFT_WIDTH,
      maxLines: 1,
      colour: MUTED_COLOUR,
    });
  }
  y = put(pen, draw, texts.heading, left, y, { font: 'sansBold', size: 10, width: LEFT_WIDTH, maxLines: 2 });
  y += 3;
  // A long name gets a smaller face before it gets cut short.
  pen.font('sansBold', content.name);
  const nameSize =
    NAME_SIZES.find((size) => {
      doc.fontSize(size);
      return doc.heightOfString(content.name, { width: LEFT_WIDTH }) <= doc.currentLineHeight(true) * 2;
    }) ?? NAME_SIZES[NAME_SIZES.length - 1]!;
  y = put(pen, draw, content.name, left, y, { font: 'sansBold', size: nameSize, width: LEFT_WIDTH, maxLines: 2 });
  y += 1;
  if (content.details) {
    y = put(pen, draw, content.details, left, y, { font: 'sans', size: 8.5, width: LEFT_WIDTH, maxLines: 2 });
  }
  // Label and username on one line when they fit; else the username on a line of its own, so
  // that it is broken only when longer than a whole line.
  const small: TextBox = { font: 'sans', size: 9.5, width: LEFT_WIDTH, maxLines: 2 };
  const usernameLine = `${texts.username}: ${content.username ?? texts.chooseUsername}`;
  pen.font('sans', usernameLine);
  doc.fontSize(9.5);
  if (content.username !== null && doc.widthOfString(usernameLine) > LEFT_WIDTH) {
    y = put(pen, draw, `${texts.username}:`, left, y, { ...small, maxLines: 1 });
    y = put(pen, draw, content.username, left, y, small);
  } else {
    y = put(pen, draw, usernameLine, left, y, small);
  }
  y = put(pen, draw, `${texts.validUntil} ${content.expiry}`, left, y, { ...small, maxLines: 1 });
  const address: TextBox = { font: 'sansBold', size: 9, width: INNER_WIDTH, maxLines: 3 };
  if (arrangement.addressBeside) {
    y = put(pen, draw, content.address, left, y + 2, { ...address, width: LEFT_WIDTH });
  }

  // Full width below: the code, (the address,) what to do, and a warning.
  y = Math.max(y, top + QR_SIZE) + gapAboveCode;
  y = put(pen, draw, content.code, left, y, { font: 'monoBold', size: 18, width: INNER_WIDTH, maxLines: 1 });
  y += gapBelowCode;
  if (!arrangement.addressBeside) {
    y = put(pen, draw, content.address, left, y, address) + 2;
  }
  doc.font('sansBold').fontSize(9);
  const warningHeight = Math.min(
    doc.heightOfString(texts.keepPrivate, { width: INNER_WIDTH }),
    doc.currentLineHeight(true) * 3,
  );
  doc.font('sans').fontSize(9);
  const lineHeight = doc.currentLineHeight(true);
  const instructionsHeight = doc.heightOfString(content.instructions, { width: INNER_WIDTH });
  const overflow = y + instructionsHeight + gapAboveWarning + warningHeight - bottom;
  if (draw) {
    const room = bottom - warningHeight - gapAboveWarning - y;
    const maxLines = Math.max(1, Math.floor(room / lineHeight + 0.01));
    y = put(pen, draw, content.instructions, left, y, { font: 'sans', size: 9, width: INNER_WIDTH, maxLines });
    put(pen, draw, texts.keepPrivate, left, y + gapAboveWarning, {
      font: 'sansBold',
      size: 9,
      width: INNER_WIDTH,
      maxLines: 3,
    });
  }
  return overflow;
}

function drawSlip(pen: Pen, slot: number, slip: Slip, qrPng: Buffer, options: SlipOptions, texts: Texts): void {
  const employeeId = slip.employeeId?.trim();
  const content: SlipContent = {
    organisation: options.organisation?.trim().normalize('NFC') || undefined,
    name: slip.name.trim().normalize('NFC'),
    details: [
      employeeId ? `${texts.employeeId} ${employeeId}` : '',
      slip.department?.trim() ?? '',
      slip.store?.trim() ?? '',
    ]
      .filter((part) => part !== '')
      .join(' · ')
      .normalize('NFC'),
    instructions: slip.username === null ? texts.instructionsChoose : texts.instructions,
    username: slip.username === null ? null : slip.username.normalize('NFC'),
    code: groupedSlipCode(slip),
    expiry: slipExpiryDate(slip.expiresAt, options.timeZone),
    address: pageAddress(options),
  };
  let best = ARRANGEMENTS[0]!;
  let bestOverflow = Infinity;
  for (const arrangement of ARRANGEMENTS) {
    const overflow = layoutSlip(pen, slot, content, texts, arrangement, null);
    if (overflow < bestOverflow) [best, bestOverflow] = [arrangement, overflow];
    if (overflow <= 0) break;
  }
  layoutSlip(pen, slot, content, texts, best, qrPng);
}

// ---------------------------------------------------------------------------
// Rendering

/**
 * Renders one slip per person as a PDF, streamed to `out` page by page (with backpressure:
 * rendering waits while `out` is behind), so a batch of 10,000 is never held in memory whole.
 * Resolves when `out` has finished. On failure (a malformed slip, the iterable throwing, `out`
 * failing) it rejects with `out` unpiped but not ended: the caller should destroy `out`, the
 * PDF being incomplete. The codes appear only in page content and QR images, never in metadata.
 */
export async function renderSlipsPdf(
  slips: AsyncIterable<Slip> | Iterable<Slip>,
  options: SlipOptions,
  out: NodeJS.WritableStream,
): Promise<void> {
  const texts = slipText.catalog[options.locale];
  const organisation = options.organisation?.trim();
  const doc = newPdf({
    autoFirstPage: false,
    size: 'A4',
    margin: 0,
    compress: true,
    lang: options.locale,
    displayTitle: true,
    info: {
      Title: organisation ? `${texts.title} – ${organisation}` : texts.title,
      Creator: 'Keyslip',
    },
  });
  const fontBuffers = fonts();
  for (const name of Object.keys(FONT_FILES) as FontName[]) doc.registerFont(name, fontBuffers[name]);
  const pen: Pen = { doc, font: fontPicker(doc, options.fallbackFont) };

  let failure: { error: unknown } | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    const fail = (error: unknown): void => {
      failure ??= { error };
      reject(error);
    };
    out.once('finish', () => resolve());
    out.once('error', fail);
    doc.once('error', fail);
  });
  finished.catch(() => undefined); // observed below; avoids an unhandled rejection meanwhile

  /** Lets written pages flow to `out`, and waits while `out` has not taken them. */
  const keepUp = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (failure === null && doc.readableLength > HIGH_WATER_MARK) {
      await once(out, 'drain', { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    }
    if (failure !== null) throw failure.error;
  };

  doc.pipe(out);
  try {
    let index = 0;
    let slot = 0;
    let store: string | null = null;
    for await (const slip of slips) {
      const qrPng = await slipQrPng(slip, options); // validates the code before a page is added
      const slipStore = slip.store?.trim() || null;
      // A page full, or the next store's first slip: a new page.
      if (index === 0 || slot === SLIPS_PER_PAGE || slipStore !== store) {
        if (index > 0) await keepUp();
        doc.addPage({ size: 'A4', margin: 0 });
        drawCutLines(doc);
        slot = 0;
      }
      store = slipStore;
      drawSlip(pen, slot, slip, qrPng, options, texts);
      slot++;
      index++;
    }
    if (index === 0) {
      doc.addPage({ size: 'A4', margin: 0 });
      put(pen, true, texts.noSlips, PAGE_MARGIN + PADDING_X, PAGE_MARGIN + PADDING_Y, {
        font: 'sans',
        size: 12,
        width: PAGE_WIDTH - 2 * (PAGE_MARGIN + PADDING_X),
        maxLines: 2,
      });
    }
    if (failure !== null) throw (failure as { error: unknown }).error;
  } catch (error) {
    doc.unpipe(out);
    throw error;
  }
  doc.end();
  await finished;
}
