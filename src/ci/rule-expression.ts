/*
 * The `rules: - if:` expressions a pipeline supports: comparisons of a variable with a string
 * (`$CI_COMMIT_REF_NAME == "main"`, `!=`), a bare variable (true when set and not empty), joined by
 * `&&` and `||` (`&&` binds tighter). Parsed when the configuration is read, so a malformed one is a
 * pipeline error rather than a job that silently never runs.
 */

type Term =
  | { kind: 'compare'; variable: string; operator: '==' | '!='; value: string | null }
  | { kind: 'present'; variable: string };

/** An expression in disjunctive form: any of the groups, each needing all of its terms. */
export type RuleExpression = Term[][];

const TERM = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*(?:(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(null)))?\s*$/;

/** The parsed expression, or a message saying what is wrong with it. */
export function parseRuleExpression(source: string): RuleExpression | string {
  const groups: RuleExpression = [];
  for (const alternative of splitOutsideQuotes(source, '||')) {
    const group: Term[] = [];
    for (const text of splitOutsideQuotes(alternative, '&&')) {
      const match = TERM.exec(text);
      if (!match) return `invalid expression syntax: ${source}`;
      const [, variable, operator, double, single, nil] = match;
      if (!operator) {
        group.push({ kind: 'present', variable: variable! });
      } else {
        const value = nil ? null : (double ?? single ?? '');
        group.push({ kind: 'compare', variable: variable!, operator: operator as '==' | '!=', value });
      }
    }
    groups.push(group);
  }
  return groups;
}

/** Evaluates a parsed expression against the pipeline's variables. */
export function evaluateRuleExpression(
  expression: RuleExpression,
  variables: Readonly<Record<string, string | undefined>>,
): boolean {
  return expression.some((group) =>
    group.every((term) => {
      const actual = variables[term.variable];
      if (term.kind === 'present') return actual !== undefined && actual !== '';
      const equal = term.value === null ? actual === undefined : actual === term.value;
      return term.operator === '==' ? equal : !equal;
    }),
  );
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
