import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { fallbackFontCandidates, parseFallbackFontSetting, SYSTEM_FALLBACK_FONTS } from './fallback-fonts.js';

const NOTO = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const NOTO_BOLD = '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc';
const WQY = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';
const DROID = '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf';

describe('parseFallbackFontSetting', () => {
  it('takes a face name after # only for a font collection', () => {
    expect(parseFallbackFontSetting(`${NOTO}#NotoSansCJKjp-Regular`)).toEqual({
      path: NOTO,
      postscriptName: 'NotoSansCJKjp-Regular',
    });
    expect(parseFallbackFontSetting('/fonts/a#b.ttf')).toEqual({ path: '/fonts/a#b.ttf' });
    expect(parseFallbackFontSetting(DROID)).toEqual({ path: DROID });
  });
});

describe('fallbackFontCandidates', () => {
  const only =
    (...paths: string[]) =>
    (path: string): boolean =>
      paths.includes(path);

  it('lists the fonts that exist, the configured one first, then Noto, WenQuanYi and Droid', () => {
    expect(
      fallbackFontCandidates('/srv/fonts/Mine.otf', only('/srv/fonts/Mine.otf', NOTO, NOTO_BOLD, WQY, DROID)),
    ).toEqual([{ regular: { path: '/srv/fonts/Mine.otf' } }, ...SYSTEM_FALLBACK_FONTS]);
    expect(fallbackFontCandidates('/srv/fonts/Missing.otf', only(DROID, WQY)).map((font) => font.regular.path)).toEqual(
      [WQY, DROID],
    );
    expect(fallbackFontCandidates(undefined, only())).toEqual([]);
    expect(fallbackFontCandidates('', only())).toEqual([]);
  });

  it('names the face of each system collection, and drops a bold face that is not there', () => {
    const [noto] = fallbackFontCandidates(undefined, only(NOTO));
    expect(noto).toEqual({ regular: { path: NOTO, postscriptName: 'NotoSansCJKsc-Regular' } });
    expect(fallbackFontCandidates(undefined, only(WQY))).toEqual([
      { regular: { path: WQY, postscriptName: 'WenQuanYiZenHei' } },
    ]);
  });
});

describe('KEYSLIP_PDF_FALLBACK_FONT', () => {
  const base = { KEYSLIP_SECRET: 'x'.repeat(40) };

  it('is empty by default and resolved against the working folder when set', () => {
    expect(loadConfig(base, '/srv/keyslip').pdfFallbackFont).toBe('');
    expect(loadConfig({ ...base, KEYSLIP_PDF_FALLBACK_FONT: 'fonts/Mine.otf' }, '/srv/keyslip').pdfFallbackFont).toBe(
      '/srv/keyslip/fonts/Mine.otf',
    );
    expect(loadConfig({ ...base, KEYSLIP_PDF_FALLBACK_FONT: `${NOTO}#NotoSansCJKkr-Regular` }).pdfFallbackFont).toBe(
      `${NOTO}#NotoSansCJKkr-Regular`,
    );
  });

  it('refuses a font collection without the face to use', () => {
    expect(() => loadConfig({ ...base, KEYSLIP_PDF_FALLBACK_FONT: NOTO })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, KEYSLIP_PDF_FALLBACK_FONT: NOTO })).toThrow(/KEYSLIP_PDF_FALLBACK_FONT.*#/);
  });
});
