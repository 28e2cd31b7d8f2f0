import { LANGUAGES, type Language } from "./messages";

/** The stored choice if known, else the first of the browser's languages Roost speaks, else English. */
export function initialLanguage(stored: string | null, browser: readonly string[]): Language {
  const known = (code: string | null | undefined) =>
    LANGUAGES.find((l) => l.code === code?.slice(0, 2))?.code;
  return known(stored) ?? browser.map(known).find((code) => code !== undefined) ?? "en";
}
