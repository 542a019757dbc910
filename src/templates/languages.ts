import { clock } from '../clock.js';
import type {
  CmChannelsClient,
  SupportedLanguage,
  Template,
  TemplateLanguage,
  TemplateSummary,
} from '../providers/cm-channels/client.js';
import type { TenantId } from '../store/keys.js';

/**
 * Language names <-> codes. CM.com Channels keys a template's `languages` by language NAME
 * ("English (US)") and gives a template language no code; Meta's webhooks and CommBox's sends
 * use the CODE (`en_US`). The only bridge CM documents is `GET .../whatsapp/supportedlanguages`
 * (`{id, code, name}`), matched on name (references/cm-channels.md §2-3). Matching the
 * template language's `id` to the supported language's `id` is not documented, so never done
 * (UNCONFIRMED(cm-channels.language-id)).
 */

/** Language lists barely change: one read per workspace per few hours is plenty. */
const TTL_MS = 6 * 3_600_000;
const cache = new Map<string, { at: number; langs: SupportedLanguage[] }>();

/** A code or name compared loosely: `en-US`, `EN_us` and ` en_US ` are one; names ignore case and spacing. */
export const normLang = (v: string) => v.trim().toLowerCase().replace(/-/g, '_').replace(/\s+/g, ' ');

export class LanguageCatalog {
  private readonly byName = new Map<string, SupportedLanguage>();
  private readonly byCode = new Map<string, SupportedLanguage>();

  constructor(readonly languages: SupportedLanguage[]) {
    for (const l of languages) {
      this.byName.set(normLang(l.name), l);
      this.byCode.set(normLang(l.code), l);
    }
  }

  /** The workspace's list, read through the cache (per tenant and CM account). */
  static async forTenant(tenant: TenantId, cm: CmChannelsClient): Promise<LanguageCatalog> {
    const key = `${tenant}|${cm.accountId}`;
    const hit = cache.get(key);
    if (hit && clock.now() - hit.at < TTL_MS) return new LanguageCatalog(hit.langs);
    const langs = await cm.supportedLanguages();
    cache.set(key, { at: clock.now(), langs });
    return new LanguageCatalog(langs);
  }

  /** The code of a language name as CM names it; undefined when CM's list has no such name. */
  codeOf(name: string | null | undefined): string | undefined {
    return name ? this.byName.get(normLang(name))?.code : undefined;
  }

  /** What a person typed (`en_US`, `en-us`, `English (US)`), as a supported language. */
  resolve(input: string): SupportedLanguage | undefined {
    const w = normLang(input);
    return this.byCode.get(w) ?? this.byName.get(w);
  }
}

/** One language of a template, with the code CM's supported-language list gives its name. */
export interface ResolvedLanguage {
  /** The dictionary key: the language NAME as CM keys it. */
  key: string;
  name: string;
  /** Undefined when the name is not in CM's supported-language list. */
  code: string | undefined;
  lang: TemplateLanguage;
}

export function templateLanguages(
  t: TemplateSummary | Template,
  catalog: LanguageCatalog,
): ResolvedLanguage[] {
  return Object.entries(t.languages).map(([key, lang]) => ({
    key,
    name: lang.name || key,
    code: catalog.codeOf(key) ?? catalog.codeOf(lang.name),
    lang,
  }));
}

/** "English (US) · en_US": both, as people and Meta know it. */
export const labelOf = (l: { name: string; code: string | undefined }) =>
  `${l.name} · ${l.code ?? 'code unknown'}`;

/**
 * The template language a person (or Meta) means by `wanted`: a code (`en_US`, `en-US`), a bare
 * language (`en`: the template's only English variant when it has no plain `en`), or the name.
 */
export function findLanguage(
  t: TemplateSummary | Template,
  wanted: string,
  catalog: LanguageCatalog,
): ResolvedLanguage | undefined {
  const w = normLang(wanted);
  const langs = templateLanguages(t, catalog);
  const exact = langs.find(
    (l) => (l.code && normLang(l.code) === w) || normLang(l.key) === w || normLang(l.name) === w,
  );
  if (exact) return exact;
  // `en` → `en_US` when that is the only English; `en_GB` → `en` when the template has only `en`.
  const base = w.split('_')[0];
  const near = langs.filter((l) => {
    if (!l.code) return false;
    const c = normLang(l.code);
    return (!w.includes('_') && c.split('_')[0] === base) || (!c.includes('_') && c === base);
  });
  return near.length === 1 ? near[0] : undefined;
}
