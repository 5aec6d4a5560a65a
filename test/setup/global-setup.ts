import pg from 'pg';

/**
 * Decides once per run whether the PostgreSQL half of the storage suite can run. The address comes from
 * TEST_PG_URL (default: the local test database). When it is unreachable the suite says so plainly;
 * with SOULSPOT_REQUIRE_PG=1 (CI) an unreachable server fails the run instead.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env.SOULSPOT_TEST_PG_URL = url;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.SOULSPOT_REQUIRE_PG === '1') {
      throw new Error(
        `PostgreSQL is required (SOULSPOT_REQUIRE_PG=1) but ${url} is unreachable: ${reason}`,
      );
    }
    process.env.SOULSPOT_TEST_PG_URL = '';
    console.warn(
      `\n*** The PostgreSQL suite did NOT run: ${url} is unreachable (${reason}).` +
        '\n*** Set TEST_PG_URL to a reachable database to run it.\n',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
