import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { initialLanguage } from "./language";
import { LANGUAGES, type Language, type MessageKey, translate } from "./messages";

// The chosen language, remembered in localStorage; the first visit follows the browser's. Numbers and
// dates are formatted with the language's locale; Persian turns the page right to left.

const STORAGE_KEY = "roost.language";

export interface I18n {
  language: Language;
  locale: string;
  setLanguage(language: Language): void;
  t(key: MessageKey, values?: Record<string, string | number>): string;
}

const Context = createContext<I18n | undefined>(undefined);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguage] = useState<Language>(() =>
    initialLanguage(localStorage.getItem(STORAGE_KEY), navigator.languages ?? []),
  );
  useEffect(() => {
    localStorage.setItem(STORAGE_KEY, language);
    document.documentElement.lang = language;
    document.documentElement.dir = LANGUAGES.find((l) => l.code === language)?.dir ?? "ltr";
  }, [language]);
  const value = useMemo<I18n>(
    () => ({ language, locale: language, setLanguage, t: (key, values) => translate(language, key, values) }),
    [language],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(Context);
  if (i18n === undefined) throw new Error("useI18n outside I18nProvider");
  return i18n;
}

export function LanguagePicker() {
  const { language, setLanguage, t } = useI18n();
  return (
    <label className="language">
      {t("language")}{" "}
      <select value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}
