// Fonts for what the shipped DejaVu fonts cannot draw — Chinese, Japanese and Korean above all.
// A CJK font is 16 MB or more, so Keyslip ships none: it uses one installed on the machine (a
// well-known system font file) or the one named by KEYSLIP_PDF_FALLBACK_FONT.
import { existsSync } from 'node:fs';

/** A font file and, for a collection (.ttc, .otc), the PostScript name of the face to use. */
export interface FontFace {
  path: string;
  postscriptName?: string;
}

/** A fallback font; without a bold face, bold text is drawn with the regular one. */
export interface FallbackFont {
  regular: FontFace;
  bold?: FontFace;
}

/** Tried in this order after the configured font (the Debian/Ubuntu package in brackets). */
export const SYSTEM_FALLBACK_FONTS: readonly FallbackFont[] = [
  {
    // fonts-noto-cjk: the Simplified Chinese face; it has every kana and hangul too.
    regular: {
      path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
      postscriptName: 'NotoSansCJKsc-Regular',
    },
    bold: { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', postscriptName: 'NotoSansCJKsc-Bold' },
  },
  // fonts-wqy-zenhei
  { regular: { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', postscriptName: 'WenQuanYiZenHei' } },
  // fonts-droid-fallback
  { regular: { path: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf' } },
];

const COLLECTION = /\.(ttc|otc)$/i;

/**
 * The font a KEYSLIP_PDF_FALLBACK_FONT value names: a .ttf or .otf file, or a collection with
 * `#` and the face's PostScript name (`…/NotoSansCJK-Regular.ttc#NotoSansCJKjp-Regular`).
 */
export function parseFallbackFontSetting(setting: string): FontFace {
  const hash = setting.lastIndexOf('#');
  if (hash > 0 && COLLECTION.test(setting.slice(0, hash))) {
    return { path: setting.slice(0, hash), postscriptName: setting.slice(hash + 1) };
  }
  return { path: setting };
}

/**
 * The fallback fonts whose files exist, best first: the configured one (if any), then the
 * system fonts. A file that exists may still fail to load; the caller tries the next.
 */
export function fallbackFontCandidates(
  configured: string | undefined,
  exists: (path: string) => boolean = existsSync,
): FallbackFont[] {
  const candidates: FallbackFont[] = [];
  if (configured) candidates.push({ regular: parseFallbackFontSetting(configured) });
  candidates.push(...SYSTEM_FALLBACK_FONTS);
  return candidates
    .filter((font) => exists(font.regular.path))
    .map((font) => (font.bold && !exists(font.bold.path) ? { regular: font.regular } : font));
}
