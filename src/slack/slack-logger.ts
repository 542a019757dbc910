import { logger } from '../log.js';

/**
 * Bolt, its receiver and @slack/oauth log through this adapter instead of their console
 * logger, so their lines (a refused signature with its header, an OAuth failure with its
 * cause) pass through the same redaction as ours (src/log.ts).
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Level[] = ['debug', 'info', 'warn', 'error'];

export function slackLogger(component: string) {
  let level: Level = 'warn';
  let name = component;
  const at =
    (l: Level) =>
    (...msg: unknown[]) => {
      if (ORDER.indexOf(l) < ORDER.indexOf(level)) return;
      const text = msg
        .map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m)))
        .join(' ');
      logger[l](text, { component: name });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel(l: string) {
      if ((ORDER as string[]).includes(l)) level = l as Level;
    },
    getLevel() {
      return level as never;
    },
    setName(n: string) {
      name = n;
    },
  };
}
