/**
 * Just enough PromQL reading to check the dashboards against the exporter: which metrics a query
 * selects, with which label matchers, and which labels it groups or matches by. Not a parser:
 * a tokenizer that knows functions (an identifier before `(`), keywords, grouping clauses,
 * strings, ranges (`[5m]`) and Grafana variables (`$asset_class`, `${site}`, `$__range`).
 */
export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface QueryShape {
  selectors: Selector[];
  /** Labels in by / without / on / ignoring / group_left / group_right clauses. */
  groupingLabels: string[];
}

const keywords = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan', 'atan2']);
const groupingKeywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const identStart = /[A-Za-z_:]/;
const identPart = /[A-Za-z0-9_:]/;

export function parseMatchers(body: string): Matcher[] {
  const matchers: Matcher[] = [];
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    matchers.push({ label: m[1]!, op: m[2] as Matcher['op'], value: m[3]! });
    if (re.lastIndex >= body.length) break;
  }
  if (body.trim() && re.lastIndex < body.trimEnd().length && matchers.length === 0)
    throw new Error(`cannot read label matchers {${body}}`);
  return matchers;
}

export function parseQuery(expr: string): QueryShape {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr[i]!)) i += 1;
  };
  const readBlock = (open: string, close: string): string => {
    const start = i + 1;
    let depth = 0;
    let inString = false;
    for (; i < expr.length; i += 1) {
      const c = expr[i]!;
      if (inString) {
        if (c === '\\') i += 1;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === open) depth += 1;
      else if (c === close && --depth === 0) break;
    }
    if (i >= expr.length) throw new Error(`unbalanced ${open} in ${expr}`);
    i += 1;
    return expr.slice(start, i - 1);
  };

  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      const quote = c;
      for (i += 1; i < expr.length && expr[i] !== quote; i += 1) if (expr[i] === '\\') i += 1;
      i += 1;
    } else if (c === '$') {
      i += 1;
      if (expr[i] === '{') readBlock('{', '}');
      else while (i < expr.length && identPart.test(expr[i]!)) i += 1;
    } else if (c === '[') {
      readBlock('[', ']');
    } else if (c === '{') {
      selectors.push({ metric: '', matchers: parseMatchers(readBlock('{', '}')) });
    } else if (/[0-9.]/.test(c)) {
      // A number, or a duration (`10m` after offset): digits, then any unit letters.
      while (i < expr.length && /[0-9.]/.test(expr[i]!)) i += 1;
      while (i < expr.length && /[A-Za-z]/.test(expr[i]!)) i += 1;
    } else if (identStart.test(c)) {
      const start = i;
      while (i < expr.length && identPart.test(expr[i]!)) i += 1;
      const word = expr.slice(start, i);
      skipSpace();
      if (groupingKeywords.has(word)) {
        if (expr[i] === '(') {
          for (const label of readBlock('(', ')').split(',')) {
            if (label.trim()) groupingLabels.push(label.trim());
          }
        }
      } else if (keywords.has(word.toLowerCase())) {
        // an operator or modifier
      } else if (expr[i] === '(' || /^(by|without)\b/.test(expr.slice(i))) {
        // a function call or an aggregation (`sum by (…) (…)`): arguments are read as the loop goes on
      } else {
        const matchers = expr[i] === '{' ? parseMatchers(readBlock('{', '}')) : [];
        selectors.push({ metric: word, matchers });
      }
    } else {
      i += 1;
    }
  }
  return { selectors, groupingLabels };
}

/** A `label_values(selector, label)` variable query, or undefined for other forms. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query.trim());
  return m ? { selector: m[1]!.trim(), label: m[2]! } : undefined;
}
