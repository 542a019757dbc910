/**
 * A time as Slack shows it: `<!date^…>` renders in each reader's own time zone and language
 * (api.slack.com/reference/surfaces/formatting#date-formatting), with a plain fallback for
 * clients that cannot ("6 Dec 2026, 12:36 UTC"), never a raw ISO string.
 */
export function slackTime(
  when: number | string | undefined | null,
  format = '{date_short_pretty} at {time}',
): string {
  const ms = typeof when === 'number' ? when : Date.parse(when ?? '');
  if (!Number.isFinite(ms)) return 'an unknown time';
  const dateOnly = !format.includes('{time');
  return `<!date^${Math.floor(ms / 1000)}^${format}|${fallback(ms, dateOnly)}>`;
}

/** A day as Slack shows it (no time): `<!date^…^{date_short_pretty}|6 Dec 2026>`. */
export function slackDay(when: number | string | undefined | null): string {
  return slackTime(when, '{date_short_pretty}');
}

function fallback(ms: number, dateOnly: boolean): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  if (dateOnly) return day;
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  return `${day}, ${time} UTC`;
}
