/** Text Slack parses: a message's top-level `text` and every mrkdwn text object (plain_text is not parsed). */
export function parsedTexts(value: unknown, top = true): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => parsedTexts(v, false));
  if (!value || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  const own = (top || o.type === 'mrkdwn') && typeof o.text === 'string' ? [o.text] : [];
  return [
    ...own,
    ...Object.entries(o)
      .filter(([k, v]) => typeof v === 'object' && !(k === 'text' && top && typeof v === 'string'))
      .flatMap(([, v]) => parsedTexts(v, false)),
  ];
}
