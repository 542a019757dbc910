/**
 * Slack's rules that the fake Slack holds the app to, written from Slack's documents, not from
 * our client:
 * - Block Kit limits: https://api.slack.com/reference/block-kit/blocks, …/block-elements,
 *   …/composition-objects, https://api.slack.com/reference/surfaces/views (the same numbers the
 *   official python-slack-sdk enforces in slack_sdk/models). Violations answer `invalid_blocks`
 *   (messages) or `invalid_arguments` (views), with messages in the observed form
 *   "must be less than N+1 characters [json-pointer:/blocks/0/text/text]"
 *   (UNCONFIRMED(slack.block-error-wording)).
 * - Command text escaping: https://api.slack.com/reference/surfaces/formatting#escaping (`&`, `<`,
 *   `>` always travel as entities) and https://api.slack.com/interactivity/slash-commands
 *   (`should_escape`: mentions as `<@U…|name>`, channels as `<#C…|name>`, links wrapped;
 *   UNCONFIRMED(slack.escaped-forms): the link, email and special-mention forms; we use the
 *   message-formatting forms).
 * See shared/slack-platform.md and slack-platform-reference.md §1.3, §1.4, §4.
 */

export type Surface = 'message' | 'modal' | 'home';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: string[] = [];
  constructor(private readonly prefix = '') {}

  fail(message: string, path: string) {
    this.errors.push(`${this.prefix}${message} [json-pointer:${path}]`);
  }

  maxLen(value: unknown, max: number, path: string, min = 0) {
    if (typeof value !== 'string') return;
    if (value.length > max) this.fail(`must be less than ${max + 1} characters`, path);
    else if (value.length < min) this.fail(`must be more than ${min - 1} characters`, path);
  }

  maxItems(value: unknown, max: number, path: string) {
    if (Array.isArray(value) && value.length > max) this.fail(`no more than ${max} items allowed`, path);
  }

  /** A text object; `plainOnly` where Slack accepts only plain_text. */
  text(value: unknown, path: string, max: number, plainOnly = false, required = true) {
    if (value === undefined) {
      if (required) this.fail('must provide an object', path);
      return;
    }
    if (!isObj(value)) return this.fail('must provide an object', path);
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn')
      return this.fail('must be a valid enum value', `${path}/type`);
    if (plainOnly && value.type !== 'plain_text') this.fail('must be a valid enum value', `${path}/type`);
    if (value.type === 'mrkdwn' && 'emoji' in value) this.fail('unsupported field "emoji"', `${path}/emoji`);
    if (typeof value.text !== 'string') return this.fail('must provide a string', `${path}/text`);
    this.maxLen(value.text, max, `${path}/text`, 1);
  }

  option(o: unknown, path: string, plainOnly: boolean) {
    if (!isObj(o)) return this.fail('must provide an object', path);
    this.text(o.text, `${path}/text`, 75, plainOnly);
    this.maxLen(o.value, 150, `${path}/value`);
    if (o.description !== undefined) this.text(o.description, `${path}/description`, 75, plainOnly);
  }

  confirm(c: unknown, path: string) {
    if (c === undefined) return;
    if (!isObj(c)) return this.fail('must provide an object', path);
    this.text(c.title, `${path}/title`, 100, true);
    this.text(c.text, `${path}/text`, 300);
    this.text(c.confirm, `${path}/confirm`, 30, true);
    this.text(c.deny, `${path}/deny`, 30, true);
  }

  element(el: unknown, path: string) {
    if (!isObj(el)) return this.fail('must provide an object', path);
    this.maxLen(el.action_id, 255, `${path}/action_id`);
    if (el.placeholder !== undefined) this.text(el.placeholder, `${path}/placeholder`, 150, true);
    this.confirm(el.confirm, `${path}/confirm`);
    switch (el.type) {
      case 'button':
        this.text(el.text, `${path}/text`, 75, true);
        this.maxLen(el.value, 2000, `${path}/value`);
        this.maxLen(el.url, 3000, `${path}/url`);
        this.maxLen(el.accessibility_label, 75, `${path}/accessibility_label`);
        break;
      case 'static_select':
      case 'multi_static_select':
        if (Array.isArray(el.options) && Array.isArray(el.option_groups))
          this.fail('must provide exactly one of options or option_groups', path);
        this.maxItems(el.options, 100, `${path}/options`);
        this.maxItems(el.option_groups, 100, `${path}/option_groups`);
        (Array.isArray(el.options) ? el.options : []).forEach((o, i) => {
          this.option(o, `${path}/options/${i}`, true);
        });
        (Array.isArray(el.option_groups) ? el.option_groups : []).forEach((g, i) => {
          if (!isObj(g)) return;
          this.text(g.label, `${path}/option_groups/${i}/label`, 75, true);
          this.maxItems(g.options, 100, `${path}/option_groups/${i}/options`);
          (Array.isArray(g.options) ? g.options : []).forEach((o, j) => {
            this.option(o, `${path}/option_groups/${i}/options/${j}`, true);
          });
        });
        break;
      case 'overflow':
        if (!Array.isArray(el.options) || el.options.length < 1 || el.options.length > 5)
          this.fail('must provide between 1 and 5 items', `${path}/options`);
        (Array.isArray(el.options) ? el.options : []).forEach((o, i) => {
          this.option(o, `${path}/options/${i}`, true);
        });
        break;
      case 'checkboxes':
      case 'radio_buttons':
        this.maxItems(el.options, 10, `${path}/options`);
        (Array.isArray(el.options) ? el.options : []).forEach((o, i) => {
          this.option(o, `${path}/options/${i}`, false);
        });
        break;
      case 'plain_text_input':
        this.maxLen(el.initial_value, 3000, `${path}/initial_value`);
        break;
      default:
    }
  }

  block(b: unknown, path: string, surface: Surface) {
    if (!isObj(b)) return this.fail('must provide an object', path);
    this.maxLen(b.block_id, 255, `${path}/block_id`);
    switch (b.type) {
      case 'section':
        if (b.text === undefined && b.fields === undefined)
          this.fail('must provide either text or fields', path);
        if (b.text !== undefined) this.text(b.text, `${path}/text`, 3000);
        this.maxItems(b.fields, 10, `${path}/fields`);
        (Array.isArray(b.fields) ? b.fields : []).forEach((f, i) => {
          this.text(f, `${path}/fields/${i}`, 2000);
        });
        if (b.accessory !== undefined) this.element(b.accessory, `${path}/accessory`);
        break;
      case 'header':
        this.text(b.text, `${path}/text`, 150, true);
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0)
          this.fail('must provide at least 1 item', `${path}/elements`);
        this.maxItems(b.elements, 10, `${path}/elements`);
        (Array.isArray(b.elements) ? b.elements : []).forEach((e, i) => {
          if (isObj(e) && e.type !== 'image') this.text(e, `${path}/elements/${i}`, 3000);
        });
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0)
          this.fail('must provide at least 1 item', `${path}/elements`);
        this.maxItems(b.elements, 25, `${path}/elements`);
        (Array.isArray(b.elements) ? b.elements : []).forEach((e, i) => {
          this.element(e, `${path}/elements/${i}`);
        });
        break;
      case 'input':
        this.text(b.label, `${path}/label`, 2000, true);
        if (b.hint !== undefined) this.text(b.hint, `${path}/hint`, 2000, true);
        this.element(b.element, `${path}/element`);
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
      case 'file':
      case 'video':
        break;
      case 'markdown':
        if (surface !== 'message') this.fail('markdown blocks are only allowed in messages', `${path}/type`);
        break;
      default:
        this.fail('must be a valid enum value', `${path}/type`);
    }
  }

  blocks(blocks: unknown, path: string, surface: Surface) {
    if (!Array.isArray(blocks)) return this.fail('must provide an array', path);
    this.maxItems(blocks, surface === 'message' ? 50 : 100, path);
    const ids = new Set<string>();
    blocks.forEach((b, i) => {
      this.block(b, `${path}/${i}`, surface);
      const id = isObj(b) ? b.block_id : undefined;
      if (typeof id === 'string') {
        if (ids.has(id)) this.fail(`block_id "${id}" is already used`, `${path}/${i}/block_id`);
        ids.add(id);
      }
    });
  }
}

/** What Slack would say about a message's blocks: [] when they are valid. */
export function blockErrors(blocks: unknown): string[] {
  const c = new Checker();
  c.blocks(blocks, '/blocks', 'message');
  return c.errors;
}

/** What Slack would say about a view (modal or home tab), as views.* report it: [] when valid. */
export function viewErrors(view: unknown): string[] {
  const c = new Checker('[ERROR] ');
  if (!isObj(view)) {
    c.fail('must provide an object', '/view');
    return c.errors;
  }
  const surface: Surface = view.type === 'home' ? 'home' : 'modal';
  if (view.type !== 'modal' && view.type !== 'home') c.fail('must be a valid enum value', '/view/type');
  c.blocks(view.blocks, '/view/blocks', surface);
  c.maxLen(view.private_metadata, 3000, '/view/private_metadata');
  c.maxLen(view.callback_id, 255, '/view/callback_id');
  c.maxLen(view.external_id, 255, '/view/external_id');
  if (surface === 'modal') {
    c.text(view.title, '/view/title', 24, true);
    if (view.submit !== undefined) c.text(view.submit, '/view/submit', 24, true);
    if (view.close !== undefined) c.text(view.close, '/view/close', 24, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined)
      c.fail('must provide submit when the view has input blocks', '/view/submit');
  }
  return c.errors;
}

export interface Directory {
  users: ReadonlyArray<{ id: string; name: string }>;
  channels: ReadonlyArray<{ id: string; name: string; private?: boolean }>;
}

/** Slack's own escaping of the three control characters. */
export function slackEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const TYPED =
  /(https?:\/\/[^\s<>"']+)|(www\.[^\s<>"']+)|([\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)|@([A-Za-z0-9][\w.-]*)|#([a-z0-9][\w-]*)/g;

/** Trailing punctuation belongs to the sentence, not to the link or name. */
function splitTrailing(s: string): [string, string] {
  const m = /[.,;:!?)]+$/.exec(s);
  return m ? [s.slice(0, m.index), m[0]] : [s, ''];
}

/**
 * The `text` field of a slash command as Slack sends it for what the person typed: always with
 * `&`, `<`, `>` as entities; with `should_escape` on, also mentions, channels, links and emails
 * as control sequences (a name Slack does not know stays as typed).
 */
export function commandText(typed: string, shouldEscape: boolean, dir: Directory): string {
  const escaped = slackEntities(typed);
  if (!shouldEscape) return escaped;
  return escaped.replace(TYPED, (all, url, www, email, user, channel) => {
    if (url) {
      const [u, tail] = splitTrailing(url);
      return `<${u}>${tail}`;
    }
    if (www) {
      const [u, tail] = splitTrailing(www);
      return `<http://${u}|${u}>${tail}`;
    }
    if (email) {
      const [e, tail] = splitTrailing(email);
      return `<mailto:${e}|${e}>${tail}`;
    }
    if (user) {
      const [name, tail] = splitTrailing(user);
      if (name === 'here' || name === 'channel' || name === 'everyone') return `<!${name}>${tail}`;
      const found = dir.users.find((u) => u.name === name);
      return found ? `<@${found.id}|${found.name}>${tail}` : all;
    }
    if (channel) {
      const found = dir.channels.find((c) => c.name === channel);
      return found ? `<#${found.id}|${found.private ? '' : found.name}>` : all;
    }
    return all;
  });
}
