import { en } from "./locales/en";
import { fa } from "./locales/fa";
import { fr } from "./locales/fr";
import { hi } from "./locales/hi";
import { ja } from "./locales/ja";
import { zh } from "./locales/zh";

// The portal's words in English and in the languages the design was first published in. Keys are
// English phrases' ids; a missing translation falls back to English.

export const LANGUAGES = [
  { code: "en", name: "English", dir: "ltr" },
  { code: "ja", name: "日本語", dir: "ltr" },
  { code: "zh", name: "中文", dir: "ltr" },
  { code: "fr", name: "Français", dir: "ltr" },
  { code: "fa", name: "فارسی", dir: "rtl" },
  { code: "hi", name: "हिन्दी", dir: "ltr" },
] as const;

export type Language = (typeof LANGUAGES)[number]["code"];

export type MessageKey = keyof typeof en;
export type Messages = Partial<Record<MessageKey, string>>;

export const MESSAGES: Record<Language, Messages> = { en, ja, zh, fr, fa, hi };

/** The text of `key` in `language` (English if untranslated), with {name} placeholders filled in. */
export function translate(
  language: Language,
  key: MessageKey,
  values: Record<string, string | number> = {},
): string {
  const template = MESSAGES[language][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}
