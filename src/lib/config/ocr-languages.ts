// The languages text recognition (OCR) ships: their codes (tesseract's), names for Settings, and the check on a saved choice.

/** Each one's `@tesseract.js-data/<code>` LSTM model is emitted under ocr/lang/ (vite.config.ts) and fetched when first used. */
export const OCR_LANGUAGES = [
  { code: 'eng', name: 'English' },
  { code: 'deu', name: 'German' },
  { code: 'fra', name: 'French' },
  { code: 'spa', name: 'Spanish' },
  { code: 'ita', name: 'Italian' },
  { code: 'por', name: 'Portuguese' },
  { code: 'nld', name: 'Dutch' },
] as const;

export type OcrLanguage = (typeof OCR_LANGUAGES)[number]['code'];

export const DEFAULT_OCR_LANGUAGES: OcrLanguage[] = ['eng'];

/**
 * The languages to recognise from a saved setting (which may come from an imported library or an older build): known
 * codes only, each once, in the shipped order; English when none is left.
 */
export function ocrLanguagesOf(value: unknown): OcrLanguage[] {
  const asked = new Set(Array.isArray(value) ? value : []);
  const known = OCR_LANGUAGES.map((l) => l.code).filter((code) => asked.has(code));
  return known.length > 0 ? known : [...DEFAULT_OCR_LANGUAGES];
}
