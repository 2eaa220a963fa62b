// Reading PDFs in tests: text per page, and the images painted on a page decoded to RGBA (for
// reading the slips' QR codes with jsQR). Shared by the slip unit tests and the browser tests.
import jsQR from 'jsqr';
import { getDocument, ImageKind, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

export async function openPdf(pdf: Buffer | Uint8Array): Promise<PDFDocumentProxy> {
  return getDocument({
    data: new Uint8Array(pdf),
    isOffscreenCanvasSupported: false, // image objects as plain pixel arrays
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  }).promise;
}

export async function pageText(page: PDFPageProxy): Promise<string> {
  const content = await page.getTextContent();
  return content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
}

export interface DecodedImage {
  width: number;
  height: number;
  kind: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** The images painted on a page, as pdfjs decodes them from the PDF's image XObjects. */
export async function pageImages(page: PDFPageProxy): Promise<DecodedImage[]> {
  const operators = await page.getOperatorList();
  const images: DecodedImage[] = [];
  for (let i = 0; i < operators.fnArray.length; i++) {
    if (operators.fnArray[i] !== OPS.paintImageXObject) continue;
    const id = (operators.argsArray[i] as [string])[0];
    images.push(
      await new Promise<DecodedImage>((resolve) => page.objs.get(id, (image: DecodedImage) => resolve(image))),
    );
  }
  return images;
}

export function toRgba(image: DecodedImage): Uint8ClampedArray {
  const { width, height, kind, data } = image;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    let r: number, g: number, b: number;
    if (kind === ImageKind.GRAYSCALE_1BPP) {
      const rowBytes = Math.ceil(width / 8);
      const x = p % width;
      const y = Math.floor(p / width);
      const bit = (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
      r = g = b = bit ? 255 : 0;
    } else if (kind === ImageKind.RGB_24BPP) {
      [r, g, b] = [data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!];
    } else {
      [r, g, b] = [data[p * 4]!, data[p * 4 + 1]!, data[p * 4 + 2]!];
    }
    rgba.set([r, g, b, 255], p * 4);
  }
  return rgba;
}

export function decodeQr(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  // jsqr's CommonJS export is the function, with itself as `.default`; its types (an ES
  // `export default`) make NodeNext see only the latter.
  return jsQR.default(rgba, width, height)?.data ?? null;
}
