import {
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

/**
 * PostgreSQL with an introspector that sees only the schemas on the connection's search_path.
 *
 * Why: Kysely's migrator asks "does my migration table exist?" through `getTables()`, whose query
 * reads every table of every schema in the database and calls `pg_get_serial_sequence('schema.table',
 * column)` on each column. That function looks the name up again at call time, after the catalog
 * scan: when another session drops a schema in between (another test file's cleanup, another
 * application sharing the database), the whole query fails with `schema "…" does not exist`,
 * naming the other session's schema, and SoulSpot's migration with it. Reproduced: ~2% of those
 * queries fail while a second connection creates and drops schemas in a loop. Looking only at our
 * own schemas removes the race (nobody drops a schema we are using) and is also right: a migration
 * table in another schema is not ours.
 *
 * Only the migrator introspects, and it needs table names and schemas: columns are left empty.
 */
export class ScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new ScopedPostgresIntrospector(db);
  }
}

class ScopedPostgresIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  getSchemas(): Promise<SchemaMetadata[]> {
    // A plain pg_namespace scan: no name is resolved, so no race.
    return new PostgresIntrospector(this.db).getSchemas();
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      SELECT c.relname AS name, ns.nspname AS schema, c.relkind AS kind
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm')
        AND ns.nspname = ANY (current_schemas(false))`.execute(this.db);
    return rows.map((r) => ({
      name: r.name,
      schema: r.schema,
      isView: r.kind === 'v' || r.kind === 'm',
      columns: [],
    }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
