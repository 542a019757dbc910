import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';

/**
 * serverless.yml as the framework resolves it, read offline in milliseconds: CloudFormation's
 * short tags become their JSON form ({"Ref": ...}, {"Fn::GetAtt": [...]}), and the variable
 * sources this file uses (opt, env, sls:stage, self, param, file) are resolved. An unknown
 * source fails loudly, so a new kind of variable cannot slip past the checks unread.
 *
 * Why not `sls package`: it needs the built bundles and takes ~25 s on this machine; the CI
 * script runs it and checks the packaged template with the same checks (scripts/check-template.ts).
 */
export interface ResolveOptions {
  stage?: string;
  region?: string;
  env?: Record<string, string | undefined>;
}

const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!GetAtt': 'Fn::GetAtt',
  '!Join': 'Fn::Join',
  '!Sub': 'Fn::Sub',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!If': 'Fn::If',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!ImportValue': 'Fn::ImportValue',
  '!FindInMap': 'Fn::FindInMap',
  '!GetAZs': 'Fn::GetAZs',
  '!Base64': 'Fn::Base64',
};

function toJs(node: Node | null | undefined, doc: Document): unknown {
  if (!node) return null;
  // An alias (*name) is the anchored node (&name) again, as the framework's YAML parser reads it.
  if (isAlias(node)) return toJs(node.resolve(doc) as Node, doc);
  let value: unknown;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) out[String(toJs(pair.key as Node, doc))] = toJs(pair.value as Node, doc);
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item) => toJs(item as Node, doc));
  } else if (isScalar(node)) {
    value = node.value;
  } else {
    throw new Error(`serverless.yml: unsupported YAML node ${String(node)}`);
  }
  const tag = node.tag;
  if (!tag?.startsWith('!')) return value;
  const fn = SHORT_TAGS[tag];
  if (!fn) throw new Error(`serverless.yml: unknown tag ${tag}`);
  if (fn === 'Fn::GetAtt' && typeof value === 'string') return { [fn]: value.split('.') };
  return { [fn]: value };
}

function readYaml(file: string): unknown {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message}`);
  return toJs(doc.contents as Node, doc);
}

// CloudFormation Fn::Sub placeholders (${AWS::AccountId}, ${Table.Arn}) start upper-case and stay as they are.
const VARIABLE = /\$\{([a-z][^{}]*)\}/;

export function loadServerlessYml(
  file = 'serverless.yml',
  opts: ResolveOptions = {},
): Record<string, unknown> {
  const path = resolve(file);
  const raw = readYaml(path) as Record<string, unknown>;
  const env = opts.env ?? {};
  const options: Record<string, string | undefined> = { stage: opts.stage, region: opts.region };
  const root = raw;

  const lookup = (path: string, from: unknown): unknown =>
    path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], from);

  /** One `${...}` expression: `source:address, fallback, ...`, first defined value wins. */
  const evaluate = (expr: string, seen: string[]): unknown => {
    for (const part of splitTop(expr)) {
      const item = part.trim();
      const quoted = item.match(/^'(.*)'$|^"(.*)"$/);
      if (quoted) return quoted[1] ?? quoted[2];
      if (/^-?\d+(\.\d+)?$/.test(item)) return Number(item);
      const file = item.match(/^file\((.+)\)(?::(.+))?$/);
      if (file?.[1]) {
        const target = resolve(dirname(path), file[1].trim());
        const content = target.endsWith('.json')
          ? JSON.parse(readFileSync(target, 'utf8'))
          : readYaml(target);
        const v = file[2] ? lookup(file[2], content) : content;
        if (v !== undefined) return resolveValue(v, seen);
        continue;
      }
      const m = item.match(/^([a-z]+):(.*)$/);
      if (!m) throw new Error(`serverless.yml: cannot read variable \${${expr}}`);
      const [, source, address = ''] = m;
      let v: unknown;
      if (source === 'opt') v = options[address];
      else if (source === 'env') v = env[address] || undefined;
      else if (source === 'self') v = resolveValue(lookup(address, root), [...seen, address]);
      else if (source === 'param') {
        const stage = String(resolveValue(lookup('provider.stage', root), seen));
        const params = root.params as Record<string, Record<string, unknown>> | undefined;
        v = params?.[stage]?.[address] ?? params?.default?.[address];
        if (v !== undefined) v = resolveValue(v, seen);
      } else if (source === 'sls' && address === 'stage') {
        v = resolveValue(lookup('provider.stage', root), seen);
      } else throw new Error(`serverless.yml: variable source ${source}: is not read by this check`);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };

  const resolveString = (s: string, seen: string[]): unknown => {
    if (seen.length > 20) throw new Error('serverless.yml: variables nest too deep');
    const whole = s.match(/^\$\{([a-z][^{}]*)\}$/);
    if (whole?.[1] && !VARIABLE.test(whole[1])) return evaluate(whole[1], seen);
    let out = s;
    for (let m = out.match(VARIABLE); m; m = out.match(VARIABLE)) {
      const v = evaluate(m[1] ?? '', seen);
      out = out.replace(m[0], v === undefined ? '' : String(v));
    }
    return out;
  };

  const resolveValue = (v: unknown, seen: string[]): unknown => {
    if (typeof v === 'string') return VARIABLE.test(v) ? resolveString(v, seen) : v;
    if (Array.isArray(v)) return v.map((x) => resolveValue(x, seen));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveValue(x, seen)]));
    }
    return v;
  };

  return resolveValue(raw, []) as Record<string, unknown>;
}

/** Splits `a, 'b, c', d` on the commas outside quotes and parentheses. */
function splitTop(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    else if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}
