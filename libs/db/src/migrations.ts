import { Migrator, type Kysely, type Migration } from 'kysely';

/**
 * Runs one owner's migrations (a projection, a service) with its own migration and lock tables, so each owner
 * evolves its tables independently. Migrations are code: `{ '0001_init': { up, down } }`.
 */
export async function migrate(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  owner: string,
  migrations: Record<string, Migration>,
  schema = 'public',
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `kysely_migration__${owner}`,
    migrationLockTableName: `kysely_migration_lock__${owner}`,
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '?';
    throw new Error(`migration ${owner}/${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
