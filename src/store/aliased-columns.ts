import { sql } from 'kysely';

/**
 * One table's columns selected under `<prefix><column>` aliases next to another table's `selectAll`,
 * so a hot lookup (a job and its user, an OAuth token and its grant) is one row from one prepared
 * join, then split back into the two rows.
 *
 * @example
 * const grant = aliasedColumns('oauth_grants', 'grant__', ['id', 'user_id']);
 * db.selectFrom('oauth_tokens').innerJoin(…).selectAll('oauth_tokens').select(grant.select);
 * const { aliased, rest } = grant.split(row); // the grant's row, the token's row
 */
export function aliasedColumns<C extends string>(table: string, prefix: string, columns: readonly C[]) {
  const aliases = columns.map((column) => [column, `${prefix}${column}`] as const);
  return {
    select: aliases.map(([column, alias]) => sql.ref(`${table}.${column}`).as(alias)),
    /** Without an entries array per row: these run on every authenticated request of their kind. */
    split(row: object): { aliased: Record<C, unknown>; rest: Record<string, unknown> } {
      const fields = row as Record<string, unknown>;
      const aliased = {} as Record<C, unknown>;
      for (const [column, alias] of aliases) aliased[column] = fields[alias];
      const rest: Record<string, unknown> = {};
      for (const key in fields) if (!key.startsWith(prefix)) rest[key] = fields[key];
      return { aliased, rest };
    },
  };
}
