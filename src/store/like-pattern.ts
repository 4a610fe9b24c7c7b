import { sql, type RawBuilder, type SqlBool } from 'kysely';

/**
 * `!` escapes LIKE's wildcards: unlike `\`, it means the same in a SQLite and a PostgreSQL string
 * literal whatever `standard_conforming_strings` says, so one clause serves both stores.
 */
const ESCAPE_CHARACTER = '!';

/**
 * `text` with LIKE's wildcards (`%`, `_`) and the escape character itself escaped, so a search for
 * `a_b%` matches those characters literally instead of any character and any run of them.
 *
 * @example
 * escapeLike('50%_off!'); // '50!%!_off!!'
 */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (char) => `${ESCAPE_CHARACTER}${char}`);
}

/**
 * The condition "`column`, lowercased, contains `text` (lowercased) literally" with an explicit
 * ESCAPE clause. Every search that puts user input into a LIKE pattern goes through here.
 *
 * @example
 * db.selectFrom('users').where(containsIgnoringCase('username', search))
 */
export function containsIgnoringCase(column: string, text: string): RawBuilder<SqlBool> {
  const pattern = `%${escapeLike(text.toLowerCase())}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape ${sql.lit(ESCAPE_CHARACTER)}`;
}
