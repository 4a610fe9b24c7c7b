import { PostgresAdapter, type ColumnDataType, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

type ColumnArgs = [ColumnDataType, (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder];

/** An auto-incrementing integer primary key, spelled the way each engine wants it. */
export function idColumn(db: Kysely<unknown>): ColumnArgs {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    return ['serial', (c) => c.primaryKey()];
  }
  return ['integer', (c) => c.primaryKey().autoIncrement()];
}
