/**
 * Just enough PromQL reading for the dashboard checks: substitute Grafana's
 * variables the way Grafana would for "All", and list the metric names an
 * expression selects so a test can name the one nobody exports.
 */

/** What Grafana puts in for `$__rate_interval` and friends; 1m holds many samples at any scrape interval used here. */
const GRAFANA_BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '15m',
};

/** Replaces `$var` and `${var}` (and `${var:format}`) with the builtin or "All" (`.*`). */
export function substituteVariables(expr: string, variables: Record<string, string> = {}): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_m, braced: string, bare: string) => {
    const name = braced ?? bare;
    const value = variables[name] ?? GRAFANA_BUILTINS[name];
    if (value === undefined) throw new Error(`unknown Grafana variable $${name} in: ${expr}`);
    return value;
  });
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names an expression selects: identifiers that are not functions,
 * keywords, label names in `by (...)`-style clauses or matchers, or durations.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');

  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue;
    if (KEYWORDS.has(word.toLowerCase())) continue;

    // A number's exponent (1e3) or a duration's unit (5m) is not a name.
    const before = stripped[(match.index ?? 0) - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(word);
  }
  return [...names];
}
