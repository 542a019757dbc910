import { setupSandboxPanel } from './sandbox-panel.js';

// The sandbox console: a small fake Slack client for the local stack. It sends what Slack
// sends (signed slash commands and interaction payloads) to /slack/events, and shows what
// the app sent to the fake Slack Web API (polled from /_sandbox/slack/messages).
// Plain browser JavaScript, no build step. Text is only ever put in the page as text nodes.

const POLL_MS = 700;
const SLACK_ACK_MS = 3000;
const BOT_NAME = 'WA Onboarding';

const EMOJI = {
  'e-mail': '📧',
  file_cabinet: '🗄️',
  ok_hand: '👌',
  pray: '🙏',
  heart: '❤️',
  fire: '🔥',
  '-1': '👎',
  paperclip: '📎',
  satellite: '📡',
  no_bell: '🔕',
  frame_with_picture: '🖼️',
  triangular_flag_on_post: '🚩',
  scales: '⚖️',
  grey_question: '❔',
  double_vertical_bar: '⏸️',
  arrow_forward: '▶️',
  alarm_clock: '⏰',
  warning: '⚠️',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  wave: '👋',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  construction: '🚧',
  tada: '🎉',
  rocket: '🚀',
  information_source: 'ℹ️',
  question: '❓',
  exclamation: '❗',
  lock: '🔒',
  key: '🔑',
  email: '📧',
  envelope: '✉️',
  iphone: '📱',
  phone: '☎️',
  link: '🔗',
  memo: '📝',
  pencil2: '✏️',
  page_facing_up: '📄',
  bell: '🔔',
  eyes: '👀',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  red_circle: '🔴',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  large_blue_circle: '🔵',
  white_circle: '⚪',
  arrows_counterclockwise: '🔄',
  repeat: '🔁',
  stopwatch: '⏱️',
  gear: '⚙️',
  speech_balloon: '💬',
  bust_in_silhouette: '👤',
  busts_in_silhouette: '👥',
  calendar: '📅',
  mag: '🔍',
  wastebasket: '🗑️',
  heavy_plus_sign: '➕',
  inbox_tray: '📥',
  outbox_tray: '📤',
  rotating_light: '🚨',
  sparkles: '✨',
  zap: '⚡',
  bulb: '💡',
  clipboard: '📋',
  package: '📦',
  shield: '🛡️',
  stop_sign: '🛑',
  arrow_right: '➡️',
  leftwards_arrow_with_hook: '↩️',
  smile: '😄',
  slightly_smiling_face: '🙂',
};

const state = {
  config: null,
  user: 'U0ADMIN',
  /** Timeline entries in arrival order. */
  entries: [],
  byKey: new Map(),
  /** How many records of /_sandbox/slack/messages have been applied, and the id of the last. */
  applied: 0,
  lastAppliedId: undefined,
  /** response_url id -> { key (the message it replaces), user, channel }. */
  responses: new Map(),
  /** Open modal views, bottom first: { id, view, errors, values, busy, notice }. */
  modals: [],
  /** This person's commands, oldest first (kept in localStorage per user, for ↑/↓). */
  history: [],
  historyPos: 0,
  /** Keys of the messages whose thread is open (Slack collapses threads under "N replies"). */
  openThreads: new Set(),
  /** Which tab is shown: the channel, or the app's Home tab. */
  tab: 'channel',
  /** The Home tab each person was last published (views.publish): user id -> { id, view }. */
  homes: new Map(),
  ready: false,
  polling: false,
  dirty: false,
  seq: 0,
  signingKey: undefined,
  /** How far the stack's simulated clock runs ahead of this browser's (GET /_sandbox/clock). */
  aheadMs: 0,
  /** People's own messages already shown (files shared in the channel), by ts. */
  userSeen: new Set(),
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// DOM helpers (text is always added as text nodes)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled') {
        el[k] = true;
        el.setAttribute(k, '');
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function decodeEntities(s) {
  return s.replace(/&(lt|gt|amp);/g, (_, e) => ({ lt: '<', gt: '>', amp: '&' })[e]);
}

function emojiText(s) {
  return s.replace(/:([a-z0-9_+'-]+):/g, (m, name) => EMOJI[name] ?? m);
}

function userName(id) {
  return state.config?.users.find((u) => u.id === id)?.name ?? id;
}

function channelName(id) {
  if (id === state.config?.channelId) return state.config.channelName;
  return state.config?.channels?.find((c) => c.id === id)?.name ?? id;
}

// ---------------------------------------------------------------------------------------------
// What the browser keeps across a reload (as the Slack client does): the person chosen in
// "Acting as", and each person's own commands for ↑/↓. Nothing else is stored.

const STORE_USER = 'wa-console:user';
const storeHistoryKey = (user) => `wa-console:history:${user}`;
const HISTORY_MAX = 100;

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage off or full: the console works without it.
  }
}

function loadHistory(user) {
  const parsed = parseMaybeJson(stored(storeHistoryKey(user)) ?? '[]');
  state.history = Array.isArray(parsed)
    ? parsed.filter((x) => typeof x === 'string').slice(-HISTORY_MAX)
    : [];
  state.historyPos = state.history.length;
}

function remember(text) {
  if (state.history.at(-1) !== text) state.history.push(text);
  state.history = state.history.slice(-HISTORY_MAX);
  state.historyPos = state.history.length;
  store(storeHistoryKey(state.user), JSON.stringify(state.history));
}

function parseMaybeJson(v) {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

function randomHex(n) {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);
}

function randomId(prefix, n = 10) {
  return `${prefix}${randomHex(n).toUpperCase()}`;
}

/**
 * What Slack puts in a payload it sends: a trigger_id (3 s, single use) and a response_url
 * (5 posts, 30 minutes), issued by the fake Slack so it can hold the app to those rules, and for
 * a slash command the text escaped exactly as Slack escapes it (entities, and with the
 * manifest's should_escape: `@max.member` → `<@U0MEMBER|max.member>`, emails, links, channels).
 */
async function issue(typed) {
  const res = await fetch('/_sandbox/slack/issue', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(typed === undefined ? {} : { text: typed }),
  });
  if (!res.ok) throw new Error(`the fake Slack answered HTTP ${res.status}`);
  return res.json();
}

async function triggerId() {
  return (await issue()).trigger_id;
}

/** Now on the stack's simulated clock: the times the console shows are the app's times. */
function simNow() {
  return Date.now() + state.aheadMs;
}

function nowTs() {
  state.seq += 1;
  return `${Math.floor(simNow() / 1000)}.${String(900000 + (state.seq % 100000)).padStart(6, '0')}`;
}

function actionTs() {
  return (simNow() / 1000).toFixed(6);
}

function dateOfTs(ts) {
  const secs = Number.parseFloat(ts);
  return Number.isFinite(secs) ? new Date(secs * 1000) : new Date(simNow());
}

function timeOf(ts) {
  return dateOfTs(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The day a message belongs to, as the divider above the first message of each day says it. */
function dayOf(ts) {
  return dateOfTs(ts).toLocaleDateString([], {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
}

async function syncClock() {
  try {
    const res = await fetch('/_sandbox/clock', { cache: 'no-store' });
    if (!res.ok) return;
    const out = await res.json();
    if (typeof out.nowMs === 'number') state.aheadMs = out.nowMs - Date.now();
  } catch {
    // The clock comes back with the next poll.
  }
}

// ---------------------------------------------------------------------------------------------
// mrkdwn

const INLINE = new RegExp(
  [
    '(?<code>`[^`\\n]+`)',
    '(?<angle><[^<>\\n]+>)',
    // A bare URL is a link too (Slack links them); it stops at space, `|` and escaped brackets.
    '(?<bare>\\bhttps?:\\/\\/(?:[^\\s<>|&]|&amp;)+)',
    '(?<![\\p{L}\\p{N}*])\\*(?<bold>[^\\s*](?:[^*\\n]*?[^\\s*])?)\\*(?![\\p{L}\\p{N}*])',
    '(?<![\\p{L}\\p{N}_])_(?<italic>[^\\s_](?:[^_\\n]*?[^\\s_])?)_(?![\\p{L}\\p{N}_])',
    '(?<![\\p{L}\\p{N}~])~(?<strike>[^\\s~](?:[^~\\n]*?[^\\s~])?)~(?![\\p{L}\\p{N}~])',
    "(?<emoji>:[a-z0-9_+'-]+:)",
  ].join('|'),
  'gu',
);

function renderInline(text, parent) {
  const re = new RegExp(INLINE.source, 'gu');
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parent.append(decodeEntities(text.slice(last, m.index)));
    const g = m.groups;
    if (g.code) parent.append(h('code', null, decodeEntities(g.code.slice(1, -1))));
    else if (g.angle) parent.append(renderAngle(g.angle.slice(1, -1)));
    else if (g.bare) {
      // Trailing punctuation belongs to the sentence, not the link.
      const url = g.bare.replace(/[.,;:!?)'"]+$/, '');
      parent.append(renderAngle(url), decodeEntities(g.bare.slice(url.length)));
    } else if (g.bold !== undefined) renderInline(g.bold, parent.appendChild(h('strong')));
    else if (g.italic !== undefined) renderInline(g.italic, parent.appendChild(h('em')));
    else if (g.strike !== undefined) renderInline(g.strike, parent.appendChild(h('s')));
    else if (g.emoji) parent.append(emojiText(g.emoji));
    last = re.lastIndex;
  }
  if (last < text.length) parent.append(decodeEntities(text.slice(last)));
}

function safeHref(url) {
  return /^(https?:|mailto:|tel:|slack:)/i.test(url) ? url : undefined;
}

function renderAngle(inner) {
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : undefined;
  if (target.startsWith('@')) {
    // Slack shows a person's current name; the `|name` part is only a fallback.
    const id = target.slice(1);
    const known = userName(id) !== id;
    return h('span', { class: 'mention', title: id }, `@${known ? userName(id) : (label ?? id)}`);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const known = channelName(id) !== id;
    return h('span', { class: 'mention', title: id }, `#${known ? channelName(id) : label || id}`);
  }
  if (target.startsWith('!')) {
    const cmd = target.slice(1);
    if (['here', 'channel', 'everyone'].includes(cmd)) return h('span', { class: 'mention' }, `@${cmd}`);
    if (cmd.startsWith('subteam^')) return h('span', { class: 'mention' }, label ?? '@group');
    if (cmd.startsWith('date^')) {
      const secs = Number(cmd.split('^')[1]);
      return h(
        'span',
        { class: 'date', title: cmd },
        label ?? (Number.isFinite(secs) ? new Date(secs * 1000).toLocaleString() : cmd),
      );
    }
    return h('span', null, label ?? `<${decodeEntities(inner)}>`);
  }
  const url = decodeEntities(target);
  const href = safeHref(url);
  if (!href) return h('span', null, label ?? url);
  const link = h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label ?? url);
  const local = permalinkTarget(url);
  if (local) {
    // A permalink to a message of this workspace opens it here, as Slack does.
    link.dataset.permalink = `${local.channel}/${local.ts}`;
    link.addEventListener('click', (ev) => {
      const e = findMessage(local.channel, local.ts);
      if (!e) return;
      ev.preventDefault();
      showMessage(e);
    });
  }
  return link;
}

/** `https://<team>.slack.com/archives/C…/p1700000000123456` → { channel, ts }. */
function permalinkTarget(url) {
  const m = /^https:\/\/([\w-]+)\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})(?:[?#].*)?$/.exec(url);
  if (!m || m[1] !== state.config?.teamDomain) return undefined;
  return { channel: m[2], ts: `${m[3]}.${m[4]}` };
}

/** Scrolls to a message, opening the thread it is in (or its own thread) and the channel tab. */
function showMessage(e) {
  const parent = isReply(e) ? findMessage(e.channel, e.threadTs) : e;
  if (parent) state.openThreads.add(parent.key);
  setTab('channel');
  renderTimeline();
  e.el?.scrollIntoView({ block: 'center' });
  e.el?.classList.add('flash');
  setTimeout(() => e.el?.classList.remove('flash'), 1500);
}

function renderLines(text, parent) {
  const lines = text.split('\n');
  let quote;
  lines.forEach((line, i) => {
    const q = /^(&gt;|>)\s?/.exec(line);
    if (q) {
      if (!quote) {
        quote = h('blockquote');
        parent.append(quote);
      } else quote.append('\n');
      renderInline(line.slice(q[0].length), quote);
      return;
    }
    quote = undefined;
    renderInline(line, parent);
    if (i < lines.length - 1 && !/^(&gt;|>)/.test(lines[i + 1] ?? '')) parent.append('\n');
  });
}

function renderMrkdwn(text, parent) {
  const parts = String(text ?? '').split('```');
  parts.forEach((part, i) => {
    const isPre = i % 2 === 1 && i < parts.length - 1;
    if (isPre) parent.append(h('pre', null, decodeEntities(part.replace(/^\n/, '').replace(/\n$/, ''))));
    else if (i % 2 === 1) renderLines(`\`\`\`${part}`, parent);
    else renderLines(i > 0 ? part.replace(/^\n/, '') : part, parent);
  });
  return parent;
}

/** A text object ({type: 'mrkdwn'|'plain_text', text}) as a node. */
function textNode(obj, cls) {
  if (obj === undefined || obj === null) return null;
  if (typeof obj === 'string') return renderMrkdwn(obj, h('span', { class: cls ?? 'mrkdwn' }));
  if (obj.type === 'mrkdwn') return renderMrkdwn(obj.text, h('span', { class: cls ?? 'mrkdwn' }));
  const t = String(obj.text ?? '');
  return h('span', { class: cls ?? 'plain' }, obj.emoji === false ? t : emojiText(t));
}

function plain(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return obj;
  return obj.emoji === false ? String(obj.text ?? '') : emojiText(String(obj.text ?? ''));
}

// ---------------------------------------------------------------------------------------------
// Block Kit

/** Slack fills in missing block_id / action_id; the console does the same so payloads carry them. */
function normalizeBlocks(blocks) {
  if (!Array.isArray(blocks)) return [];
  return blocks.map((b, i) => {
    if (!b || typeof b !== 'object') return b;
    const block = { ...b };
    if (block.block_id === undefined) block.block_id = `b${i}_${randomHex(4)}`;
    const fix = (el) =>
      el && typeof el === 'object' && el.action_id === undefined && isInteractive(el)
        ? { ...el, action_id: randomHex(5) }
        : el;
    if (Array.isArray(block.elements) && block.type === 'actions') block.elements = block.elements.map(fix);
    if (block.accessory) block.accessory = fix(block.accessory);
    if (block.element) block.element = fix(block.element);
    return block;
  });
}

const INPUT_TYPES = new Set([
  'plain_text_input',
  'number_input',
  'email_text_input',
  'url_text_input',
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_users_select',
  'radio_buttons',
  'checkboxes',
  'datepicker',
  'timepicker',
  'datetimepicker',
]);

function isInteractive(el) {
  return el.type === 'button' || el.type === 'overflow' || INPUT_TYPES.has(el.type);
}

/**
 * ctx: { surface: 'message'|'modal', dispatch(action, node), values, errors }
 */
function renderBlocks(blocks, ctx) {
  const box = h('div', { class: 'blocks' });
  for (const block of blocks ?? []) {
    const node = renderBlock(block, ctx);
    if (node) box.append(node);
  }
  return box;
}

function renderBlock(block, ctx) {
  if (!block || typeof block !== 'object') return null;
  const attrs = {
    class: `block block-${block.type}`,
    'data-block-id': block.block_id,
    'data-block-type': block.type,
  };
  switch (block.type) {
    case 'header':
      return h('div', attrs, textNode(block.text, 'plain'));
    case 'divider':
      return h('hr', attrs);
    case 'section': {
      const main = h('div', { class: 'section-main' });
      if (block.text) main.append(h('div', { class: 'section-text' }, textNode(block.text)));
      if (Array.isArray(block.fields) && block.fields.length) {
        main.append(
          h(
            'div',
            { class: 'fields' },
            block.fields.map((f) => h('div', { class: 'field' }, textNode(f))),
          ),
        );
      }
      const el = h('div', attrs, main);
      if (block.accessory)
        el.append(h('div', { class: 'accessory' }, renderElement(block.accessory, block, ctx)));
      return el;
    }
    case 'context':
      return h(
        'div',
        attrs,
        (block.elements ?? []).map((e) =>
          e.type === 'image'
            ? h('span', { class: 'img-alt', title: e.image_url }, `🖼 ${e.alt_text ?? ''}`)
            : textNode(e),
        ),
      );
    case 'actions':
      return h(
        'div',
        attrs,
        (block.elements ?? []).map((e) => renderElement(e, block, ctx)),
      );
    case 'image':
      return h(
        'figure',
        attrs,
        block.title ? h('figcaption', null, textNode(block.title, 'plain')) : null,
        h('div', { class: 'img-box', title: block.image_url ?? '' }, `🖼 ${block.alt_text ?? 'image'}`),
      );
    case 'input':
      return renderInputBlock(block, ctx, attrs);
    case 'rich_text':
      return h('div', attrs, (block.elements ?? []).map(renderRichElement));
    case 'markdown':
      return h('div', attrs, renderMrkdwn(block.text ?? '', h('span', { class: 'mrkdwn' })));
    default: {
      const text = block.text ? textNode(block.text) : h('span', { class: 'muted' }, `[${block.type} block]`);
      return h('div', { ...attrs, class: 'block block-unknown' }, text);
    }
  }
}

function renderRichElement(el) {
  if (!el || typeof el !== 'object') return null;
  const inline = (parts) => (parts ?? []).map(renderRichInline);
  switch (el.type) {
    case 'rich_text_section':
      return h('div', { class: 'rt-section' }, inline(el.elements));
    case 'rich_text_preformatted':
      return h('pre', null, inline(el.elements));
    case 'rich_text_quote':
      return h('blockquote', null, inline(el.elements));
    case 'rich_text_list':
      return h(
        el.style === 'ordered' ? 'ol' : 'ul',
        null,
        (el.elements ?? []).map((item) => h('li', null, inline(item.elements))),
      );
    default:
      return renderRichInline(el);
  }
}

function renderRichInline(p) {
  if (!p || typeof p !== 'object') return null;
  let node;
  switch (p.type) {
    case 'text':
      node = document.createTextNode(p.text ?? '');
      break;
    case 'link': {
      const href = safeHref(p.url ?? '');
      node = href
        ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, p.text ?? p.url)
        : h('span', null, p.text ?? p.url ?? '');
      break;
    }
    case 'emoji':
      node = document.createTextNode(EMOJI[p.name] ?? `:${p.name}:`);
      break;
    case 'user':
      node = h('span', { class: 'mention' }, `@${userName(p.user_id)}`);
      break;
    case 'channel':
      node = h('span', { class: 'mention' }, `#${channelName(p.channel_id)}`);
      break;
    case 'broadcast':
      node = h('span', { class: 'mention' }, `@${p.range}`);
      break;
    default:
      node = document.createTextNode(p.text ?? '');
  }
  const s = p.style ?? {};
  if (s.code) node = h('code', null, node);
  if (s.bold) node = h('strong', null, node);
  if (s.italic) node = h('em', null, node);
  if (s.strike) node = h('s', null, node);
  return node;
}

function optionsOf(el) {
  if (Array.isArray(el.options)) return el.options;
  if (Array.isArray(el.option_groups)) return el.option_groups.flatMap((g) => g.options ?? []);
  if (el.type === 'users_select' || el.type === 'multi_users_select') {
    return (state.config?.users ?? []).map((u) => ({
      text: { type: 'plain_text', text: u.name },
      value: u.id,
    }));
  }
  if (el.type === 'conversations_select' || el.type === 'channels_select') {
    const c = state.config;
    return c ? [{ text: { type: 'plain_text', text: `#${c.channelName}` }, value: c.channelId }] : [];
  }
  return [];
}

function initialSelectedValues(el, prior) {
  if (prior) {
    if (prior.selected_option) return [prior.selected_option.value];
    if (prior.selected_options) return prior.selected_options.map((o) => o.value);
    for (const k of ['selected_user', 'selected_conversation', 'selected_channel'])
      if (prior[k]) return [prior[k]];
    for (const k of ['selected_users', 'selected_conversations']) if (prior[k]) return prior[k];
    return [];
  }
  if (el.initial_option) return [el.initial_option.value];
  if (el.initial_options) return el.initial_options.map((o) => o.value);
  for (const k of ['initial_user', 'initial_conversation', 'initial_channel']) if (el[k]) return [el[k]];
  for (const k of ['initial_users', 'initial_conversations']) if (el[k]) return el[k];
  return [];
}

/** Elements live in a WeakMap so the state collector can find the option objects again. */
const elementDefs = new WeakMap();

function renderElement(el, block, ctx, inInput = false) {
  if (!el || typeof el !== 'object') return null;
  const ids = {
    'data-block-id': block.block_id,
    'data-action-id': el.action_id,
    'data-element-type': el.type,
  };
  const prior = ctx.values?.[block.block_id]?.[el.action_id];
  const dispatchOnChange = !inInput || block.dispatch_action === true;
  const fire = (node) => {
    if (dispatchOnChange) ctx.dispatch(actionFor(el, block, node), node);
  };
  let node;
  switch (el.type) {
    case 'button': {
      node = h(
        'button',
        {
          type: 'button',
          class: `btn${el.style ? ` btn-${el.style}` : ''}`,
          ...ids,
          'data-value': el.value,
          title: el.url ?? undefined,
        },
        plain(el.text),
        el.url ? ' ↗' : null,
      );
      node.addEventListener('click', async () => {
        if (el.confirm && !(await confirmDialog(el.confirm))) return;
        if (el.url && safeHref(el.url)) window.open(el.url, '_blank', 'noopener');
        ctx.dispatch(actionFor(el, block, node), node);
      });
      break;
    }
    case 'overflow': {
      node = h(
        'select',
        { class: 'overflow', ...ids, title: 'More actions' },
        h('option', { value: '', selected: true }, '⋯'),
        (el.options ?? []).map((o) => h('option', { value: o.value }, plain(o.text))),
      );
      node.addEventListener('change', () => {
        if (node.value !== '') fire(node);
        node.value = '';
      });
      break;
    }
    case 'static_select':
    case 'external_select':
    case 'users_select':
    case 'conversations_select':
    case 'channels_select':
    case 'multi_static_select':
    case 'multi_users_select': {
      const multi = el.type.startsWith('multi_');
      const selected = new Set(initialSelectedValues(el, prior));
      const options = (opts) =>
        opts.map((o) => h('option', { value: o.value, selected: selected.has(o.value) }, plain(o.text)));
      const groups = Array.isArray(el.option_groups)
        ? el.option_groups.map((g) => h('optgroup', { label: plain(g.label) }, options(g.options ?? [])))
        : options(optionsOf(el));
      node = h(
        'select',
        {
          class: 'select',
          ...ids,
          multiple: multi,
          size: multi ? Math.min(6, optionsOf(el).length || 1) : undefined,
        },
        multi
          ? null
          : h('option', { value: '', selected: selected.size === 0 }, plain(el.placeholder) || 'Select…'),
        groups,
      );
      node.addEventListener('change', () => fire(node));
      break;
    }
    case 'radio_buttons':
    case 'checkboxes': {
      const radio = el.type === 'radio_buttons';
      const selected = new Set(initialSelectedValues(el, prior));
      const name = `${block.block_id}:${el.action_id}:${randomHex(4)}`;
      node = h(
        'div',
        { class: 'choices', role: radio ? 'radiogroup' : 'group', ...ids },
        (el.options ?? []).map((o) =>
          h(
            'label',
            { class: 'choice' },
            h('input', {
              type: radio ? 'radio' : 'checkbox',
              name,
              value: o.value,
              checked: selected.has(o.value),
              onchange: () => fire(node),
            }),
            h(
              'span',
              { class: 'choice-text' },
              textNode(o.text),
              o.description ? h('span', { class: 'choice-desc' }, textNode(o.description)) : null,
            ),
          ),
        ),
      );
      break;
    }
    case 'datepicker':
    case 'timepicker':
    case 'datetimepicker': {
      const type = { datepicker: 'date', timepicker: 'time', datetimepicker: 'datetime-local' }[el.type];
      const initial =
        prior?.selected_date ??
        prior?.selected_time ??
        (prior?.selected_date_time
          ? new Date(prior.selected_date_time * 1000).toISOString().slice(0, 16)
          : undefined) ??
        el.initial_date ??
        el.initial_time ??
        (el.initial_date_time ? new Date(el.initial_date_time * 1000).toISOString().slice(0, 16) : undefined);
      node = h('input', { type, class: 'text-input', ...ids, value: initial ?? '' });
      node.addEventListener('change', () => fire(node));
      break;
    }
    case 'plain_text_input':
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input': {
      const type = {
        plain_text_input: 'text',
        number_input: 'text',
        email_text_input: 'email',
        url_text_input: 'url',
      }[el.type];
      const initial = prior ? (prior.value ?? '') : (el.initial_value ?? '');
      const common = {
        class: 'text-input',
        ...ids,
        placeholder: plain(el.placeholder) || undefined,
        maxlength: el.max_length,
        inputmode: el.type === 'number_input' ? (el.is_decimal_allowed ? 'decimal' : 'numeric') : undefined,
        value: initial,
      };
      node = el.multiline ? h('textarea', { ...common, rows: 4 }) : h('input', { ...common, type });
      if (el.focus_on_load) node.setAttribute('autofocus', '');
      node.addEventListener('change', () => fire(node));
      break;
    }
    case 'image':
      return h('span', { class: 'img-alt', title: el.image_url }, `🖼 ${el.alt_text ?? ''}`);
    default:
      return h('span', { class: 'muted' }, `[${el.type}]`);
  }
  elementDefs.set(node, el);
  return node;
}

function renderInputBlock(block, ctx, attrs) {
  const error = ctx.errors?.[block.block_id];
  const el = block.element ?? {};
  const control = renderElement(el, block, ctx, true);
  const field = h(
    'div',
    { ...attrs, class: `block block-input${error ? ' has-error' : ''}` },
    h(
      'label',
      { class: 'input-label' },
      plain(block.label),
      block.optional ? h('span', { class: 'optional' }, ' (optional)') : null,
    ),
    control,
    block.hint ? h('div', { class: 'hint' }, textNode(block.hint, 'plain')) : null,
    error
      ? h('div', { class: 'field-error', 'data-testid': 'field-error', role: 'alert' }, `⚠️ ${error}`)
      : null,
  );
  return field;
}

/** The `actions[0]` of a block_actions payload for an element in its current state. */
function actionFor(el, block, node) {
  const base = { type: el.type, action_id: el.action_id, block_id: block.block_id };
  const ts = actionTs();
  switch (el.type) {
    case 'button':
      return {
        ...base,
        text: el.text,
        ...(el.value !== undefined ? { value: el.value } : {}),
        ...(el.style ? { style: el.style } : {}),
        ...(el.url ? { url: el.url } : {}),
        action_ts: ts,
      };
    case 'overflow': {
      const o = (el.options ?? []).find((x) => x.value === node.value);
      return { ...base, selected_option: o ?? null, action_ts: ts };
    }
    default:
      return { ...base, ...elementValue(el, node), action_ts: ts };
  }
}

/** The state.values entry of one stateful element. */
function elementValue(el, node) {
  switch (el.type) {
    case 'plain_text_input':
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input':
      return { value: node.value === '' ? null : node.value };
    case 'static_select':
    case 'external_select': {
      const o = optionsOf(el).find((x) => x.value === node.value);
      return { selected_option: o ?? null };
    }
    case 'multi_static_select': {
      const vals = new Set(Array.from(node.selectedOptions, (o) => o.value));
      return { selected_options: optionsOf(el).filter((o) => vals.has(o.value)) };
    }
    case 'users_select':
      return { selected_user: node.value || null };
    case 'multi_users_select':
      return { selected_users: Array.from(node.selectedOptions, (o) => o.value) };
    case 'conversations_select':
      return { selected_conversation: node.value || null };
    case 'channels_select':
      return { selected_channel: node.value || null };
    case 'radio_buttons': {
      const checked = node.querySelector('input:checked');
      return { selected_option: (el.options ?? []).find((o) => o.value === checked?.value) ?? null };
    }
    case 'checkboxes': {
      const vals = new Set(Array.from(node.querySelectorAll('input:checked'), (i) => i.value));
      return { selected_options: (el.options ?? []).filter((o) => vals.has(o.value)) };
    }
    case 'datepicker':
      return { selected_date: node.value || null };
    case 'timepicker':
      return { selected_time: node.value || null };
    case 'datetimepicker':
      return { selected_date_time: node.value ? Math.floor(new Date(node.value).getTime() / 1000) : null };
    default:
      return {};
  }
}

function isEmpty(v) {
  return Object.values(v).every((x) => x === null || x === undefined || (Array.isArray(x) && x.length === 0));
}

/** state.values of every stateful element under root, as Slack builds it. */
function collectState(root) {
  const values = {};
  for (const node of root.querySelectorAll('[data-action-id][data-block-id]')) {
    const el = elementDefs.get(node);
    if (!el || el.type === 'button' || el.type === 'overflow' || !INPUT_TYPES.has(el.type)) continue;
    const blockId = node.getAttribute('data-block-id');
    values[blockId] ??= {};
    values[blockId][el.action_id] = { type: el.type, ...elementValue(el, node) };
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Signed requests to the app

async function signingKey() {
  if (!state.signingKey) {
    if (!crypto.subtle)
      throw new Error('WebCrypto is unavailable: open the console at http://127.0.0.1 or localhost');
    state.signingKey = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(state.config.signingSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  }
  return state.signingKey;
}

async function postToApp(body, contentType = 'application/x-www-form-urlencoded') {
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = await crypto.subtle.sign(
    'HMAC',
    await signingKey(),
    new TextEncoder().encode(`v0:${ts}:${body}`),
  );
  const sig = `v0=${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const started = performance.now();
  const res = await fetch('/slack/events', {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Slack-Request-Timestamp': ts,
      'X-Slack-Signature': sig,
    },
    body,
  });
  const text = await res.text();
  const ms = Math.round(performance.now() - started);
  let json;
  if (text.trim()) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  pollSoon();
  return { status: res.status, ok: res.ok, text, json, ms };
}

function ackNote(r) {
  return r.ms > SLACK_ACK_MS ? ` (took ${r.ms} ms: real Slack gives up after 3 s)` : ` in ${r.ms} ms`;
}

function currentUser() {
  const c = state.config;
  return { id: state.user, username: userName(state.user), name: userName(state.user), team_id: c.teamId };
}

async function newResponseUrl(target) {
  const url = (await issue()).response_url;
  state.responses.set(url.split('/').pop(), target);
  return url;
}

function interactionBase(type) {
  const c = state.config;
  return {
    type,
    team: { id: c.teamId, domain: c.teamDomain },
    user: currentUser(),
    api_app_id: c.apiAppId,
    token: 'x',
  };
}

function formPayload(payload) {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

// ---------------------------------------------------------------------------------------------
// Slash commands

async function runSlash(raw) {
  let text = raw.trim();
  const cmd = /^\/(\S+)\s*/.exec(text);
  if (cmd) {
    if (cmd[1].toLowerCase() !== 'wa') {
      setStatus(`/${cmd[1]} is not a command here: only /wa is installed in this sandbox.`, 'error');
      return;
    }
    text = text.slice(cmd[0].length);
  }
  const c = state.config;
  const user = state.user;
  const echo = addEntry({
    key: `local-${randomHex(8)}`,
    kind: 'command',
    author: user,
    channel: c.channelId,
    ts: nowTs(),
    text: `/wa${text ? ` ${text}` : ''}`,
    ephemeral: true,
    user,
  });
  let issued;
  try {
    issued = await issue(text);
  } catch (err) {
    setStatus(`Could not reach the fake Slack: ${err.message}`, 'error');
    return;
  }
  const responseUrl = issued.response_url;
  state.responses.set(responseUrl.split('/').pop(), { key: undefined, user, channel: c.channelId });
  const body = new URLSearchParams({
    token: 'x',
    team_id: c.teamId,
    team_domain: c.teamDomain,
    channel_id: c.channelId,
    channel_name: c.channelName,
    user_id: user,
    user_name: userName(user),
    command: '/wa',
    text: issued.text,
    api_app_id: c.apiAppId,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: issued.trigger_id,
  }).toString();
  setStatus(`Sending /wa ${text}…`, 'busy');
  let r;
  try {
    r = await postToApp(body);
  } catch (err) {
    setStatus(`Could not reach the app: ${err.message}`, 'error');
    return;
  }
  if (!r.ok) {
    setStatus(`The app answered HTTP ${r.status} to /wa ${text}${ackNote(r)}`, 'error');
    addEntry({
      key: `local-${randomHex(8)}`,
      kind: 'error',
      author: 'slackbot',
      channel: c.channelId,
      ts: nowTs(),
      text: `:warning: /wa failed with the error "dispatch_failed" (HTTP ${r.status})`,
      ephemeral: true,
      user,
    });
    return;
  }
  setStatus(`/wa ${text} → HTTP ${r.status}${ackNote(r)}`, r.ms > SLACK_ACK_MS ? 'error' : 'ok');
  const reply = r.json ?? (r.text.trim() ? { text: r.text } : undefined);
  if (!reply || (!reply.text && !reply.blocks && !reply.attachments)) return;
  const inChannel = reply.response_type === 'in_channel';
  if (inChannel) echo.ephemeral = false;
  const ack = addEntry({
    key: `local-${randomHex(8)}`,
    kind: 'ack',
    author: 'app',
    channel: c.channelId,
    ts: nowTs(),
    text: reply.text,
    blocks: reply.blocks,
    attachments: reply.attachments,
    ephemeral: !inChannel,
    user: inChannel ? undefined : user,
  });
  const rid = responseUrl.split('/').pop();
  state.responses.set(rid, { key: ack.key, user, channel: c.channelId });
}

// ---------------------------------------------------------------------------------------------
// Interactions from messages and modals

function messageContext(entry) {
  return {
    surface: 'message',
    dispatch: (action, node) => sendMessageAction(entry, action, node),
  };
}

async function sendMessageAction(entry, action, node) {
  const c = state.config;
  const container = {
    type: 'message',
    message_ts: entry.ts,
    channel_id: entry.channel,
    is_ephemeral: Boolean(entry.ephemeral),
  };
  const payload = {
    ...interactionBase('block_actions'),
    trigger_id: await triggerId(),
    channel: { id: entry.channel, name: channelName(entry.channel) },
    container,
  };
  // Slack leaves the message out of payloads from ephemeral messages: apps answer via response_url.
  if (!entry.ephemeral) {
    payload.message = {
      type: 'message',
      subtype: 'bot_message',
      text: entry.text ?? '',
      ts: entry.ts,
      user: 'U0BOT',
      bot_id: 'B0BOT',
      app_id: c.apiAppId,
      ...(entry.threadTs ? { thread_ts: entry.threadTs } : {}),
      ...(entry.blocks ? { blocks: entry.blocks } : {}),
      ...(entry.attachments ? { attachments: entry.attachments } : {}),
    };
  }
  payload.state = { values: entry.el ? collectState(entry.el) : {} };
  payload.response_url = await newResponseUrl({ key: entry.key, user: state.user, channel: entry.channel });
  payload.actions = [action];
  payload.is_enterprise_install = false;
  payload.enterprise = null;
  await sendAction(payload, action, node);
}

async function sendAction(payload, action, node) {
  node?.classList.add('pending');
  node?.classList.remove('failed');
  setStatus(`Clicked ${action.action_id}…`, 'busy');
  try {
    const r = await postToApp(formPayload(payload));
    if (!r.ok) {
      node?.classList.add('failed');
      if (node) node.title = `The app answered HTTP ${r.status}: Slack would show a warning here`;
      setStatus(
        `${action.action_id} → HTTP ${r.status}${ackNote(r)} (Slack shows an error on the button)`,
        'error',
      );
    } else {
      setStatus(`${action.action_id} → HTTP ${r.status}${ackNote(r)}`, r.ms > SLACK_ACK_MS ? 'error' : 'ok');
    }
    return r;
  } catch (err) {
    node?.classList.add('failed');
    setStatus(`Could not reach the app: ${err.message}`, 'error');
  } finally {
    node?.classList.remove('pending');
  }
}

// ---------------------------------------------------------------------------------------------
// App Home: opening the tab sends `app_home_opened` (Events API, JSON, signed) as Slack does;
// the tab shows what the app last published for this person with views.publish.

function setupTabs() {
  $('tab-channel').addEventListener('click', () => setTab('channel'));
  $('tab-home').addEventListener('click', () => openHome());
}

function setTab(tab) {
  state.tab = tab;
  const home = tab === 'home';
  $('tab-channel').setAttribute('aria-selected', home ? 'false' : 'true');
  $('tab-home').setAttribute('aria-selected', home ? 'true' : 'false');
  $('messages').hidden = home;
  $('home').hidden = !home;
  $('composer-form').hidden = home;
  if (home) renderHome();
  else $('composer').focus();
}

async function openHome() {
  setTab('home');
  const user = state.user;
  state.homeOpening = user;
  renderHome();
  try {
    const res = await fetch('/_sandbox/slack/home-opened', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user }),
    });
    if (!res.ok) throw new Error(`the fake Slack answered HTTP ${res.status}`);
    const event = await res.json();
    setStatus(`Opening the Home tab as ${userName(user)}…`, 'busy');
    const r = await postToApp(JSON.stringify(event), 'application/json');
    setStatus(
      r.ok
        ? `app_home_opened → HTTP ${r.status}${ackNote(r)}`
        : `app_home_opened → HTTP ${r.status}${ackNote(r)} (Slack would retry the event)`,
      r.ok && r.ms <= SLACK_ACK_MS ? 'ok' : 'error',
    );
    // The app publishes after the ack: the poll picks it up.
    for (let i = 0; i < 20 && state.tab === 'home'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await poll();
    }
  } catch (err) {
    setStatus(`Could not open the Home tab: ${err.message}`, 'error');
  } finally {
    if (state.homeOpening === user) state.homeOpening = undefined;
    if (state.tab === 'home') renderHome();
  }
}

function renderHome() {
  const root = $('home');
  const home = state.homes.get(state.user);
  if (!home) {
    root.replaceChildren(
      h(
        'div',
        { class: 'empty', 'data-testid': 'home-empty' },
        state.homeOpening === state.user
          ? 'Opening the Home tab…'
          : `The app has not published a Home tab for ${userName(state.user)}.`,
      ),
    );
    return;
  }
  const box = h(
    'div',
    { class: 'home-view', 'data-testid': 'home-view', 'data-view-id': home.id },
    renderBlocks(home.view.blocks, homeContext(home)),
  );
  home.el = box;
  root.replaceChildren(box);
}

function homeContext(home) {
  return {
    surface: 'home',
    values: home.values,
    dispatch: (action, node) => sendHomeAction(home, action, node),
  };
}

async function sendHomeAction(home, action, node) {
  const c = state.config;
  const v = home.view;
  // A Home tab action carries the view instead of a message, and no response_url.
  const payload = {
    ...interactionBase('block_actions'),
    trigger_id: await triggerId(),
    container: { type: 'view', view_id: home.id },
    view: {
      id: home.id,
      team_id: c.teamId,
      type: 'home',
      blocks: v.blocks,
      private_metadata: v.private_metadata ?? '',
      callback_id: v.callback_id ?? '',
      state: { values: home.el ? collectState(home.el) : {} },
      hash: home.hash,
      title: v.title ?? { type: 'plain_text', text: 'View Title', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: home.id,
      app_id: c.apiAppId,
      external_id: v.external_id ?? '',
      app_installed_team_id: c.teamId,
      bot_id: 'B0BOT',
    },
    actions: [action],
    is_enterprise_install: false,
    enterprise: null,
  };
  await sendAction(payload, action, node);
}

// ---------------------------------------------------------------------------------------------
// Modals

function normalizeView(view, id) {
  const v = { ...(parseMaybeJson(view) ?? {}) };
  v.blocks = normalizeBlocks(parseMaybeJson(v.blocks) ?? []);
  return { id, view: v, errors: {}, values: {}, hash: `${Math.floor(Date.now() / 1000)}.${randomHex(8)}` };
}

function viewPayload(m) {
  const c = state.config;
  const v = m.view;
  const root = state.modals[0];
  const idx = state.modals.indexOf(m);
  return {
    id: m.id,
    team_id: c.teamId,
    type: v.type ?? 'modal',
    blocks: v.blocks,
    private_metadata: v.private_metadata ?? '',
    callback_id: v.callback_id ?? '',
    state: { values: m.el ? collectState(m.el) : {} },
    hash: m.hash,
    title: v.title,
    clear_on_close: Boolean(v.clear_on_close),
    notify_on_close: Boolean(v.notify_on_close),
    close: v.close ?? null,
    submit: v.submit ?? null,
    previous_view_id: idx > 0 ? state.modals[idx - 1].id : null,
    root_view_id: root?.id ?? m.id,
    app_id: c.apiAppId,
    external_id: v.external_id ?? '',
    app_installed_team_id: c.teamId,
    bot_id: 'B0BOT',
  };
}

function applyViewRecord(r) {
  const view = parseMaybeJson(r.view) ?? {};
  const id = r.view_id ?? view.id ?? randomId('V');
  if (r.kind === 'views.open') {
    state.modals = [normalizeView(view, id)];
  } else if (r.kind === 'views.push') {
    state.modals.push(normalizeView(view, id));
  } else if (r.kind === 'views.update') {
    const m = state.modals.find(
      (x) => x.id === id || (view.external_id && x.view.external_id === view.external_id),
    );
    if (!m) return;
    replaceView(m, view);
  }
  renderModal();
}

function replaceView(m, view) {
  // Slack keeps what the person typed into inputs whose block_id and action_id survive the update.
  if (m.el) m.values = collectState(m.el);
  const fresh = normalizeView(view, m.id);
  m.view = fresh.view;
  m.hash = fresh.hash;
  m.errors = {};
  m.notice = undefined;
}

function modalContext(m) {
  return {
    surface: 'modal',
    values: m.values,
    errors: m.errors,
    dispatch: (action, node) => sendModalAction(m, action, node),
  };
}

async function sendModalAction(m, action, node) {
  const payload = {
    ...interactionBase('block_actions'),
    trigger_id: await triggerId(),
    container: { type: 'view', view_id: m.id },
    view: viewPayload(m),
    actions: [action],
    is_enterprise_install: false,
    enterprise: null,
  };
  await sendAction(payload, action, node);
}

function missingRequired(m) {
  const errors = {};
  for (const block of m.view.blocks) {
    if (block?.type !== 'input' || block.optional) continue;
    const node = m.el?.querySelector(
      `[data-block-id="${CSS.escape(block.block_id)}"][data-action-id="${CSS.escape(block.element?.action_id ?? '')}"]`,
    );
    const el = block.element;
    if (!node || !el || !INPUT_TYPES.has(el.type)) continue;
    if (isEmpty(elementValue(el, node))) errors[block.block_id] = 'Please complete this required field.';
  }
  return errors;
}

async function submitModal() {
  const m = state.modals.at(-1);
  if (!m || m.busy) return;
  const required = missingRequired(m);
  if (Object.keys(required).length) {
    m.values = collectState(m.el);
    m.errors = required;
    renderModal();
    return;
  }
  const payload = {
    ...interactionBase('view_submission'),
    trigger_id: await triggerId(),
    view: viewPayload(m),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  m.values = payload.view.state.values;
  m.busy = true;
  m.notice = undefined;
  renderModal();
  let r;
  try {
    r = await postToApp(formPayload(payload));
  } catch (err) {
    m.busy = false;
    m.notice = `Could not reach the app: ${err.message}`;
    renderModal();
    return;
  }
  m.busy = false;
  const cb = m.view.callback_id ?? '';
  if (!r.ok) {
    m.notice = `We had some trouble connecting. The app answered HTTP ${r.status}.`;
    setStatus(`view_submission ${cb} → HTTP ${r.status}${ackNote(r)}`, 'error');
    renderModal();
    return;
  }
  setStatus(`view_submission ${cb} → HTTP ${r.status}${ackNote(r)}`, r.ms > SLACK_ACK_MS ? 'error' : 'ok');
  const res = r.json ?? {};
  switch (res.response_action) {
    case 'errors': {
      m.errors = res.errors ?? {};
      const known = new Set(m.view.blocks.map((b) => b?.block_id));
      const unknown = Object.keys(m.errors).filter((k) => !known.has(k));
      if (unknown.length)
        m.notice = `The app sent errors for blocks that are not in this view: ${unknown.join(', ')}`;
      break;
    }
    case 'update':
      replaceView(m, res.view ?? {});
      break;
    case 'push':
      state.modals.push(normalizeView(res.view ?? {}, randomId('V')));
      break;
    case 'clear':
      state.modals = [];
      break;
    default:
      state.modals.pop();
  }
  renderModal();
}

async function closeModal(all) {
  const m = state.modals.at(-1);
  if (!m) return;
  const closing = all ? [...state.modals] : [m];
  if (all) state.modals = [];
  else state.modals.pop();
  renderModal();
  const notify = closing.find((x) => x.view.notify_on_close);
  if (notify) {
    await sendAction(
      {
        ...interactionBase('view_closed'),
        view: viewPayload(notify),
        is_cleared: Boolean(all),
        is_enterprise_install: false,
        enterprise: null,
      },
      { action_id: `view_closed ${notify.view.callback_id ?? ''}` },
    );
  }
}

function renderModal() {
  const root = $('modal-root');
  const m = state.modals.at(-1);
  if (!m) {
    root.replaceChildren();
    return;
  }
  const v = m.view;
  const hasInputs = v.blocks.some((b) => b?.type === 'input');
  const modal = h(
    'form',
    {
      class: 'modal',
      'data-testid': 'modal',
      'data-view-id': m.id,
      'data-callback-id': v.callback_id ?? '',
      'data-depth': String(state.modals.length),
      role: 'dialog',
      'aria-modal': 'true',
      novalidate: true,
    },
    h(
      'div',
      { class: 'modal-head' },
      state.modals.length > 1
        ? h(
            'button',
            { type: 'button', class: 'icon-btn', title: 'Back', onclick: () => closeModal(false) },
            '‹',
          )
        : null,
      h('div', { class: 'modal-title', 'data-testid': 'modal-title' }, plain(v.title) || 'Modal'),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-btn',
          title: 'Close',
          'data-testid': 'modal-dismiss',
          onclick: () => closeModal(true),
        },
        '×',
      ),
    ),
    m.notice
      ? h('div', { class: 'modal-notice', role: 'alert', 'data-testid': 'modal-notice' }, m.notice)
      : null,
    h('div', { class: 'modal-body' }, renderBlocks(v.blocks, modalContext(m))),
    h(
      'div',
      { class: 'modal-foot' },
      h(
        'button',
        { type: 'button', class: 'btn', 'data-testid': 'modal-close', onclick: () => closeModal(false) },
        plain(v.close) || 'Cancel',
      ),
      v.submit || hasInputs
        ? h(
            'button',
            {
              type: 'submit',
              class: 'btn btn-primary',
              'data-testid': 'modal-submit',
              disabled: Boolean(m.busy),
            },
            m.busy ? 'Submitting…' : plain(v.submit) || 'Submit',
          )
        : null,
    ),
  );
  modal.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitModal();
  });
  m.el = modal;
  const backdrop = h('div', { class: 'modal-backdrop' }, modal);
  backdrop.addEventListener('mousedown', (ev) => {
    if (ev.target === backdrop) modal.classList.add('shake');
  });
  root.replaceChildren(backdrop);
  const focus =
    modal.querySelector('[autofocus]') ?? modal.querySelector('.has-error input, .has-error textarea');
  (focus ?? modal.querySelector('input, textarea, select'))?.focus();
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const done = (ok) => {
      overlay.remove();
      resolve(ok);
    };
    const overlay = h(
      'div',
      { class: 'modal-backdrop confirm-backdrop' },
      h(
        'div',
        { class: 'modal confirm', 'data-testid': 'confirm-dialog', role: 'alertdialog' },
        h(
          'div',
          { class: 'modal-head' },
          h('div', { class: 'modal-title' }, plain(confirm.title) || 'Are you sure?'),
        ),
        h('div', { class: 'modal-body' }, textNode(confirm.text)),
        h(
          'div',
          { class: 'modal-foot' },
          h(
            'button',
            { type: 'button', class: 'btn', 'data-testid': 'confirm-cancel', onclick: () => done(false) },
            plain(confirm.deny) || 'Cancel',
          ),
          h(
            'button',
            {
              type: 'button',
              class: `btn ${confirm.style === 'danger' ? 'btn-danger' : 'btn-primary'}`,
              'data-testid': 'confirm-ok',
              onclick: () => done(true),
            },
            plain(confirm.confirm) || 'Yes',
          ),
        ),
      ),
    );
    document.body.append(overlay);
    overlay.querySelector('[data-testid="confirm-ok"]').focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Timeline

function addEntry(fields) {
  const e = { version: 0, ...fields };
  e.blocks = parseMaybeJson(e.blocks);
  if (e.blocks) e.blocks = normalizeBlocks(e.blocks);
  e.attachments = parseMaybeJson(e.attachments);
  state.entries.push(e);
  state.byKey.set(e.key, e);
  e.el = undefined;
  markDirty();
  return e;
}

function updateEntry(e, fields) {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) e[k] = v;
  if (fields.blocks !== undefined) e.blocks = normalizeBlocks(parseMaybeJson(fields.blocks) ?? []);
  if (fields.attachments !== undefined) e.attachments = parseMaybeJson(fields.attachments);
  e.version += 1;
  e.el = undefined;
  markDirty();
}

function removeEntry(e) {
  state.entries = state.entries.filter((x) => x !== e);
  state.byKey.delete(e.key);
  markDirty();
}

function findMessage(channel, ts) {
  return state.entries.find((e) => e.channel === channel && e.ts === ts && e.kind !== 'command');
}

function responseIdOf(r) {
  if (r.responseUrlId) return String(r.responseUrlId);
  const url = r.response_url ?? r.url ?? r.path;
  if (typeof url === 'string') return url.split('/').pop();
  return r.response_id ?? undefined;
}

function applyRecord(r, initial) {
  const kind = r.kind;
  switch (kind) {
    case 'chat.postMessage':
    case 'chat.postEphemeral':
      addEntry({
        key: r.id,
        kind,
        author: 'app',
        channel: r.channel,
        ts: r.ts,
        threadTs: r.thread_ts,
        text: r.text,
        blocks: r.blocks,
        attachments: r.attachments,
        ephemeral: kind === 'chat.postEphemeral',
        user: kind === 'chat.postEphemeral' ? r.user : undefined,
      });
      break;
    case 'chat.update': {
      const e = findMessage(r.channel, r.ts);
      if (e) updateEntry(e, { kind, text: r.text, blocks: r.blocks, attachments: r.attachments });
      else
        addEntry({
          key: r.id,
          kind,
          author: 'app',
          channel: r.channel,
          ts: r.ts,
          text: r.text,
          blocks: r.blocks,
        });
      break;
    }
    case 'chat.delete': {
      const e = findMessage(r.channel, r.ts);
      if (e) removeEntry(e);
      break;
    }
    case 'response_url':
      applyResponseUrl(r);
      break;
    case 'views.publish': {
      const view = parseMaybeJson(r.view) ?? {};
      if (!r.user) break;
      state.homes.set(r.user, {
        id: r.view_id ?? view.id ?? randomId('V'),
        view: { ...view, blocks: normalizeBlocks(parseMaybeJson(view.blocks) ?? []) },
        hash: view.hash ?? '',
        values: {},
      });
      if (state.tab === 'home' && r.user === state.user) renderHome();
      break;
    }
    case 'views.open':
    case 'views.push':
    case 'views.update':
      // Views from before the page loaded belong to a client that is gone.
      if (!initial) applyViewRecord(r);
      break;
    default:
      break;
  }
}

function applyResponseUrl(r) {
  const rid = responseIdOf(r);
  const target = rid ? state.responses.get(rid) : undefined;
  const original = target?.key ? state.byKey.get(target.key) : undefined;
  if (r.delete_original === true || r.delete_original === 'true') {
    if (original) removeEntry(original);
    if (!r.text && !r.blocks) return;
  }
  const replace = r.replace_original === true || r.replace_original === 'true';
  if (replace && original && !(r.delete_original === true || r.delete_original === 'true')) {
    const ephemeral = r.response_type ? r.response_type !== 'in_channel' : original.ephemeral;
    updateEntry(original, {
      kind: 'response_url',
      text: r.text ?? '',
      blocks: r.blocks ?? [],
      attachments: r.attachments ?? [],
      ephemeral,
      user: ephemeral ? (original.user ?? target?.user) : undefined,
    });
    if (!ephemeral) original.user = undefined;
    return;
  }
  const ephemeral = r.response_type !== 'in_channel';
  const e = addEntry({
    key: r.id,
    kind: 'response_url',
    author: 'app',
    channel: target?.channel ?? state.config?.channelId,
    ts: r.ts ?? nowTs(),
    threadTs: r.thread_ts,
    text: r.text,
    blocks: r.blocks,
    attachments: r.attachments,
    ephemeral,
    user: ephemeral ? target?.user : undefined,
  });
  if (rid) state.responses.set(rid, { ...(target ?? {}), key: e.key });
}

function isVisible(e) {
  // A message posted to a user id is a DM: only that person sees it.
  if (/^[UW]/.test(e.channel ?? '') && e.channel !== state.user) return false;
  return !e.user || e.user === state.user || !e.ephemeral;
}

function isReply(e) {
  return e.threadTs && e.threadTs !== e.ts;
}

function renderEntry(e) {
  if (e.kind === 'user') return renderUserMessage(e);
  if (e.kind === 'command') {
    return h(
      'div',
      { class: 'msg msg-command', 'data-testid': 'command-echo', 'data-user': e.author },
      avatar(e.author),
      h(
        'div',
        { class: 'msg-body' },
        h(
          'div',
          { class: 'msg-head' },
          h('span', { class: 'msg-author' }, userName(e.author)),
          h('span', { class: 'msg-time', title: `${dayOf(e.ts)}, ${timeOf(e.ts)}` }, timeOf(e.ts)),
        ),
        h('div', { class: 'msg-text' }, h('code', { class: 'slash' }, e.text)),
      ),
    );
  }
  const appAuthor = e.author !== 'slackbot';
  const body = h('div', { class: 'msg-body' });
  const main = state.config?.channelId;
  body.append(
    h(
      'div',
      { class: 'msg-head' },
      h('span', { class: 'msg-author' }, appAuthor ? BOT_NAME : 'Slackbot'),
      h('span', { class: 'badge' }, 'APP'),
      h(
        'span',
        { class: 'msg-time', title: `${dayOf(e.ts)}, ${timeOf(e.ts)} · ${e.kind} · ts ${e.ts}` },
        timeOf(e.ts),
      ),
      e.channel && e.channel !== main
        ? h('span', { class: 'chan-tag' }, `in ${channelTag(e.channel)}`)
        : null,
      e.version > 0 ? h('span', { class: 'edited' }, '(edited)') : null,
      isReply(e) && !state.byKey.has(parentKey(e))
        ? h('span', { class: 'chan-tag' }, 'replied in a thread')
        : null,
    ),
  );
  if (e.blocks?.length) body.append(renderBlocks(e.blocks, messageContext(e)));
  else if (e.text)
    body.append(h('div', { class: 'msg-text' }, renderMrkdwn(e.text, h('span', { class: 'mrkdwn' }))));
  for (const a of Array.isArray(e.attachments) ? e.attachments : []) body.append(renderAttachment(a, e));
  if (e.ephemeral) {
    body.append(
      h(
        'div',
        { class: 'ephemeral-note' },
        eyeIcon(),
        ' Only visible to you',
        h(
          'button',
          { type: 'button', class: 'link-btn', title: 'Dismiss', onclick: () => removeEntry(e) },
          'Dismiss message',
        ),
      ),
    );
  }
  e.threadSlot = h('div', { class: 'thread' });
  body.append(e.threadSlot);
  return h(
    'div',
    {
      class: `msg${e.ephemeral ? ' msg-ephemeral' : ''}${e.kind === 'error' ? ' msg-error' : ''}`,
      'data-testid': 'message',
      'data-kind': e.kind,
      'data-ts': e.ts,
      'data-channel': e.channel,
      'data-ephemeral': e.ephemeral ? 'true' : 'false',
      'data-key': e.key,
    },
    avatar(appAuthor ? 'app' : 'slackbot'),
    body,
  );
}

// ---------------------------------------------------------------------------------------------
// What people post: a file shared in the channel, with its message; its ⋯ menu holds the app's
// message shortcuts, as Slack's does, and "Copy link to file" (for `--file`).

function messageShortcuts() {
  return (state.config?.shortcuts ?? []).filter((s) => s.type === 'message');
}

function sizeOf(bytes) {
  const n = Number(bytes) || 0;
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

function renderUserMessage(e) {
  const menu = h(
    'select',
    {
      class: 'overflow msg-actions',
      'data-testid': 'message-actions',
      title: 'More actions',
      'aria-label': 'More actions',
    },
    h('option', { value: '', selected: true }, '⋯'),
    messageShortcuts().map((s) => h('option', { value: `shortcut:${s.callbackId}` }, `⚡ ${s.name}`)),
    (e.files ?? []).map((f) => h('option', { value: `copy:${f.id}` }, `Copy link to file (${f.name})`)),
  );
  menu.addEventListener('change', () => {
    const choice = menu.value;
    menu.value = '';
    if (choice) onMessageAction(e, choice);
  });
  return h(
    'div',
    {
      class: 'msg msg-user',
      'data-testid': 'message',
      'data-kind': 'user',
      'data-ts': e.ts,
      'data-channel': e.channel,
      'data-key': e.key,
      'data-user': e.author,
    },
    avatar(e.author),
    h(
      'div',
      { class: 'msg-body' },
      h(
        'div',
        { class: 'msg-head' },
        h('span', { class: 'msg-author' }, userName(e.author)),
        h('span', { class: 'msg-time', title: `${dayOf(e.ts)}, ${timeOf(e.ts)}` }, timeOf(e.ts)),
      ),
      e.text ? h('div', { class: 'msg-text' }, renderMrkdwn(e.text, h('span', { class: 'mrkdwn' }))) : null,
      (e.files ?? []).map((f) =>
        h(
          'div',
          { class: 'file-chip', 'data-testid': 'file', 'data-permalink': f.permalink },
          h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '📄'),
          h('span', { class: 'file-name' }, f.name),
          h('span', { class: 'file-type' }, `${String(f.filetype ?? '').toUpperCase()} · ${sizeOf(f.size)}`),
        ),
      ),
    ),
    menu,
  );
}

async function onMessageAction(e, choice) {
  if (choice.startsWith('copy:')) {
    const file = (e.files ?? []).find((f) => `copy:${f.id}` === choice);
    if (!file) return;
    await navigator.clipboard?.writeText(file.permalink).catch(() => undefined);
    setStatus(`Link to ${file.name} copied: ${file.permalink}`, 'ok');
    return;
  }
  const callbackId = choice.slice('shortcut:'.length);
  const name = messageShortcuts().find((s) => s.callbackId === callbackId)?.name ?? callbackId;
  setStatus(`⚡ ${name}…`, 'busy');
  try {
    // The message_action payload Slack sends (its trigger_id and response_url issued by the fake).
    const res = await fetch('/_sandbox/slack/shortcut', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callbackId, messageTs: e.ts, user: state.user }),
    });
    if (!res.ok) throw new Error(`the fake Slack answered HTTP ${res.status}`);
    const payload = await res.json();
    state.responses.set(String(payload.response_url).split('/').pop(), {
      key: undefined,
      user: state.user,
      channel: e.channel,
    });
    const r = await postToApp(formPayload(payload));
    setStatus(`⚡ ${name} → HTTP ${r.status}${ackNote(r)}`, r.ok ? 'ok' : 'error');
  } catch (err) {
    setStatus(`⚡ ${name} failed: ${err.message}`, 'error');
  }
}

/** Slack's ⚡ menu beside the message box: the app's global shortcuts. */
function setupShortcuts() {
  const select = $('shortcuts');
  const globals = (state.config?.shortcuts ?? []).filter((s) => s.type === 'global');
  select.replaceChildren(
    h('option', { value: '', selected: true }, '⚡'),
    ...globals.map((s) => h('option', { value: s.callbackId, title: s.description }, s.name)),
  );
  select.addEventListener('change', async () => {
    const callbackId = select.value;
    select.value = '';
    if (!callbackId) return;
    const name = globals.find((s) => s.callbackId === callbackId)?.name ?? callbackId;
    setStatus(`⚡ ${name}…`, 'busy');
    try {
      const payload = {
        ...interactionBase('shortcut'),
        callback_id: callbackId,
        trigger_id: await triggerId(),
        action_ts: actionTs(),
        is_enterprise_install: false,
        enterprise: null,
      };
      const r = await postToApp(formPayload(payload));
      setStatus(`⚡ ${name} → HTTP ${r.status}${ackNote(r)}`, r.ok ? 'ok' : 'error');
    } catch (err) {
      setStatus(`⚡ ${name} failed: ${err.message}`, 'error');
    }
  });
}

/** Slack's + → "Upload from your computer": the file is shared in the channel with the typed text. */
function setupUpload() {
  const input = $('file-input');
  $('attach').addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const composer = $('composer');
    const typed = composer.value.trim().startsWith('/') ? '' : composer.value.trim();
    if (typed) composer.value = '';
    setStatus(`Uploading ${file.name}…`, 'busy');
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      const res = await fetch('/_sandbox/slack/files', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: file.name,
          base64: btoa(binary),
          ...(file.type ? { mimetype: file.type } : {}),
          channel: state.config.channelId,
          user: state.user,
          text: typed,
        }),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      setStatus(`Shared ${file.name} in #${state.config.channelName}`, 'ok');
      await poll();
    } catch (err) {
      setStatus(`Could not upload ${file.name}: ${err.message}`, 'error');
    }
  });
}

/** People's own posts (files shared), placed among the app's messages by their ts. */
async function pollUserMessages() {
  const res = await fetch('/_sandbox/slack/user-messages', { cache: 'no-store' });
  if (!res.ok) return;
  for (const m of await res.json()) {
    if (state.userSeen.has(m.ts)) continue;
    state.userSeen.add(m.ts);
    const e = addEntry({
      key: `user-${m.ts}`,
      kind: 'user',
      author: m.user,
      channel: m.channel,
      ts: m.ts,
      text: m.text,
      files: m.files,
    });
    // Slack orders a channel by ts: a post goes before the messages that came after it.
    state.entries.pop();
    const at = state.entries.findIndex((x) => Number.parseFloat(x.ts) > Number.parseFloat(m.ts));
    state.entries.splice(at === -1 ? state.entries.length : at, 0, e);
  }
}

function eyeIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('class', 'eye');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute(
    'd',
    'M10 4C5.5 4 2.3 7.1 1 10c1.3 2.9 4.5 6 9 6s7.7-3.1 9-6c-1.3-2.9-4.5-6-9-6zm0 10a4 4 0 1 1 0-8 4 4 0 0 1 0 8zm0-2a2 2 0 1 0 0-4 2 2 0 0 0 0 4z',
  );
  svg.append(path);
  return svg;
}

function channelTag(id) {
  if (/^[UW]/.test(id)) return `DM with @${userName(id)}`;
  if (/^D/.test(id)) return 'a DM';
  return `#${channelName(id)}`;
}

function parentKey(e) {
  return findMessage(e.channel, e.threadTs)?.key;
}

function renderAttachment(a, e) {
  if (!a || typeof a !== 'object') return null;
  const color = /^#?[0-9a-f]{3,8}$/i.test(a.color ?? '')
    ? a.color.startsWith('#')
      ? a.color
      : `#${a.color}`
    : undefined;
  const named = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' }[a.color];
  return h(
    'div',
    { class: 'attachment', style: `border-left-color: ${named ?? color ?? '#ddd'}` },
    a.pretext ? h('div', null, textNode(a.pretext)) : null,
    a.title ? h('div', { class: 'att-title' }, a.title) : null,
    a.blocks ? renderBlocks(normalizeBlocks(a.blocks), messageContext(e)) : null,
    a.text ? h('div', null, renderMrkdwn(a.text, h('span', { class: 'mrkdwn' }))) : null,
    Array.isArray(a.fields)
      ? h(
          'div',
          { class: 'fields' },
          a.fields.map((f) =>
            h('div', { class: 'field' }, h('strong', null, f.title ?? ''), '\n', textNode(f.value ?? '')),
          ),
        )
      : null,
    !a.blocks && !a.text && a.fallback ? h('div', null, a.fallback) : null,
  );
}

function avatar(who) {
  if (who === 'app') return h('div', { class: 'avatar avatar-app', 'aria-hidden': 'true' }, 'WA');
  if (who === 'slackbot') return h('div', { class: 'avatar avatar-bot', 'aria-hidden': 'true' }, '🤖');
  const name = userName(who);
  return h(
    'div',
    { class: `avatar avatar-user avatar-${who === 'U0ADMIN' ? 'a' : 'b'}`, 'aria-hidden': 'true' },
    name.slice(0, 1).toUpperCase(),
  );
}

function markDirty() {
  if (state.dirty) return;
  state.dirty = true;
  requestAnimationFrame(renderTimeline);
}

function renderTimeline() {
  state.dirty = false;
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const visible = state.entries.filter(isVisible);
  const keys = new Set(visible.map((e) => e.key));
  const frag = document.createDocumentFragment();
  if (visible.length === 0) {
    frag.append(
      h(
        'div',
        { class: 'empty' },
        h(
          'div',
          { class: 'empty-title' },
          `This is the very beginning of #${state.config?.channelName ?? 'onboarding'}`,
        ),
        h('div', null, 'Type ', h('code', null, '/wa help'), ' below to see what the bot can do.'),
      ),
    );
  }
  const replies = new Map();
  for (const e of visible) {
    if (!isReply(e)) continue;
    const pk = parentKey(e);
    if (pk && keys.has(pk)) {
      if (!replies.has(pk)) replies.set(pk, []);
      replies.get(pk).push(e);
    }
  }
  // A divider above the first message of each day, as Slack shows one (simulated clock).
  let lastDay;
  for (const e of visible) {
    e.el ??= renderEntry(e);
    if (isReply(e) && replies.get(parentKey(e))?.includes(e)) continue;
    const day = dayOf(e.ts);
    if (day !== lastDay) {
      frag.append(h('div', { class: 'day-divider', 'data-testid': 'day-divider' }, h('span', null, day)));
      lastDay = day;
    }
    frag.append(e.el);
    e.threadSlot?.replaceChildren(...threadParts(e, replies.get(e.key) ?? []));
  }
  list.replaceChildren(frag);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/**
 * Under a message with replies, Slack shows "N replies" and nothing of the thread until the
 * person opens it; then the replies (and ephemeral ones meant for this person) show in order.
 * N counts the replies everyone sees.
 */
function threadParts(e, rs) {
  if (!rs.length) return [];
  const shared = rs.filter((r) => !r.ephemeral).length;
  const mine = rs.length - shared;
  const open = state.openThreads.has(e.key);
  const label = [
    shared ? `${shared} ${shared === 1 ? 'reply' : 'replies'}` : null,
    mine ? `${mine} only visible to you` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'thread-toggle',
      'data-testid': 'thread-toggle',
      'data-count': String(shared),
      'aria-expanded': open ? 'true' : 'false',
      onclick: () => {
        if (state.openThreads.has(e.key)) state.openThreads.delete(e.key);
        else state.openThreads.add(e.key);
        renderTimeline();
      },
    },
    open ? `${label} · Hide thread` : label,
  );
  if (!open) return [toggle];
  for (const r of rs) r.el ??= renderEntry(r);
  return [
    toggle,
    h(
      'div',
      { class: 'thread-replies', 'data-testid': 'thread' },
      rs.map((r) => r.el),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Polling, status, composer

let statusTimer;
function setStatus(text, kind = 'info') {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = kind;
  clearTimeout(statusTimer);
  if (kind === 'ok') statusTimer = setTimeout(idleStatus, 8000);
}

function idleStatus() {
  const c = state.config;
  if (!c) return;
  setStatus(
    `Connected · ${c.teamDomain} (${c.teamId}) · ${state.applied} records from the fake Slack`,
    'idle',
  );
}

async function poll() {
  if (state.polling || !state.config) return;
  state.polling = true;
  try {
    const res = await fetch('/_sandbox/slack/messages', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const records = await res.json();
    const initial = !state.ready;
    // The list is append-only; if it shrank or changed under us the stack restarted.
    if (
      records.length < state.applied ||
      (state.applied > 0 && records[state.applied - 1]?.id !== state.lastAppliedId)
    ) {
      state.applied = 0;
      state.entries = state.entries.filter((e) => e.key.startsWith('local-'));
      state.userSeen.clear();
      state.byKey = new Map(state.entries.map((e) => [e.key, e]));
      markDirty();
    }
    for (const r of records.slice(state.applied)) {
      try {
        applyRecord(r, initial);
      } catch (err) {
        console.error('could not show record', r, err);
      }
    }
    state.applied = records.length;
    state.lastAppliedId = records.at(-1)?.id;
    await pollUserMessages();
    if (initial) {
      state.ready = true;
      const input = $('composer');
      input.disabled = false;
      $('composer-send').disabled = false;
      input.placeholder = 'Message #onboarding: type /wa help and press Enter';
      input.focus();
      idleStatus();
    } else if ($('status').dataset.state === 'offline') idleStatus();
  } catch (err) {
    setStatus(`Cannot reach the local stack (${err.message}); retrying…`, 'offline');
  } finally {
    state.polling = false;
  }
}

let soonTimer;
function pollSoon() {
  clearTimeout(soonTimer);
  soonTimer = setTimeout(poll, 60);
}

async function loadConfig() {
  for (;;) {
    try {
      const res = await fetch('/_sandbox/console/config', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.json();
    } catch (err) {
      setStatus(`Cannot load the console config (${err.message}); retrying…`, 'offline');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function setupComposer() {
  const form = $('composer-form');
  const input = $('composer');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim() || !state.ready) return;
    remember(text);
    input.value = '';
    runSlash(text);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowUp' && state.historyPos > 0) {
      state.historyPos -= 1;
      input.value = state.history[state.historyPos];
      ev.preventDefault();
    } else if (ev.key === 'ArrowDown' && state.historyPos < state.history.length) {
      state.historyPos += 1;
      input.value = state.history[state.historyPos] ?? '';
      ev.preventDefault();
    }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.modals.length && !document.querySelector('.confirm-backdrop'))
      closeModal(false);
  });
}

function setupUserSwitch() {
  const select = $('user-switch');
  select.replaceChildren(
    ...state.config.users.map((u) => h('option', { value: u.id, selected: u.id === state.user }, u.name)),
  );
  select.value = state.user;
  select.addEventListener('change', () => {
    state.user = select.value;
    store(STORE_USER, state.user);
    loadHistory(state.user);
    // Ephemeral messages are per person: rebuild the timeline for the new viewer.
    markDirty();
    setStatus(`Now acting as ${userName(state.user)} (${state.user})`, 'ok');
    // The Home tab is per person too: the new person opens it.
    if (state.tab === 'home') openHome();
  });
}

function setupTick() {
  const button = $('tick');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const started = performance.now();
    try {
      const res = await fetch('/_sandbox/scheduler/tick', { method: 'POST' });
      const out = await res.json();
      const ms = Math.round(performance.now() - started);
      setStatus(
        res.ok
          ? `Tick (+60 s): now ${String(out.now).slice(0, 16).replace('T', ' ')} UTC · ${ms} ms`
          : `Tick failed: ${out.error ?? res.status}`,
        res.ok ? 'ok' : 'error',
      );
      await syncClock();
      await poll();
      await state.panel?.refresh();
    } catch (err) {
      setStatus(`Tick failed: ${err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
}

async function main() {
  setupComposer();
  setupTick();
  state.panel = setupSandboxPanel({
    onMoved: async () => {
      await syncClock();
      await poll();
    },
    setStatus,
    run: (text) => {
      $('composer').value = text;
      $('composer-form').requestSubmit();
    },
  });
  setInterval(() => state.panel.refresh(), 5_000);
  state.config = await loadConfig();
  const c = state.config;
  $('channel-name').textContent = c.channelName;
  $('tab-channel-name').textContent = c.channelName;
  $('workspace').textContent = `${c.teamDomain} · ${c.teamId} · local Slack`;
  document.title = `#${c.channelName} · /wa sandbox`;
  const saved = stored(STORE_USER);
  state.user = c.users.some((u) => u.id === saved) ? saved : $('user-switch').value || c.users[0]?.id;
  loadHistory(state.user);
  setupUserSwitch();
  setupTabs();
  setupShortcuts();
  setupUpload();
  await syncClock();
  markDirty();
  await poll();
  setInterval(poll, POLL_MS);
  setInterval(syncClock, 5_000);
}

main();
