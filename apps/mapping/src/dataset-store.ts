import { sql, type Kysely, type Migration } from 'kysely';
import type { TaskProfile } from '@distillery/contracts';
import { migrate } from '@distillery/db';
import type { RowIndex } from '@distillery/importer';

/** The mapping service's own tables: which rows each project's dataset holds, and its task profile. */
export const mappingMigrations: Record<string, Migration> = {
  '0001_dataset_rows': {
    async up(db) {
      await db.schema
        .createTable('mapping_dataset_rows')
        .ifNotExists()
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('import_run_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('mapping_dataset_rows_pk', ['project_id', 'row_id'])
        .execute();
      await db.schema.createIndex('mapping_dataset_rows_run').ifNotExists().on('mapping_dataset_rows').columns(['project_id', 'import_run_id']).execute();
      await db.schema
        .createTable('mapping_projects')
        .ifNotExists()
        .addColumn('project_id', 'text', (c) => c.primaryKey())
        .addColumn('task_profile', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('mapping_projects').ifExists().execute();
      await db.schema.dropTable('mapping_dataset_rows').ifExists().execute();
    },
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export class DatasetStore implements RowIndex {
  constructor(private readonly db: Db) {}

  static async open(db: Db, schema: string): Promise<DatasetStore> {
    await migrate(db, 'mapping', mappingMigrations, schema);
    return new DatasetStore(db);
  }

  /** Inserts the ids; returns those new to the project, plus those this same run claimed before (redelivery). */
  async claim(projectId: string, importRunId: string, rowIds: readonly string[]): Promise<Set<string>> {
    if (rowIds.length === 0) return new Set();
    const unique = [...new Set(rowIds)];
    const r = await this.db
      .insertInto('mapping_dataset_rows')
      .values(unique.map((row_id) => ({ project_id: projectId, row_id, import_run_id: importRunId })))
      .onConflict((oc) =>
        oc
          .columns(['project_id', 'row_id'])
          .doUpdateSet({ import_run_id: sql`excluded.import_run_id` })
          .where('mapping_dataset_rows.import_run_id', '=', importRunId),
      )
      .returning('row_id')
      .execute();
    const fresh = new Set(r.map((x) => x.row_id as string));
    return fresh;
  }

  async release(projectId: string, importRunId: string): Promise<number> {
    const r = await this.db.deleteFrom('mapping_dataset_rows').where('project_id', '=', projectId).where('import_run_id', '=', importRunId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async project(projectId: string): Promise<{ task_profile: TaskProfile; dataset_id: string } | undefined> {
    const row = await this.db.selectFrom('mapping_projects').selectAll().where('project_id', '=', projectId).executeTakeFirst();
    return row ? { task_profile: row.task_profile as TaskProfile, dataset_id: row.dataset_id as string } : undefined;
  }

  async lockProject(projectId: string, taskProfile: TaskProfile): Promise<{ task_profile: TaskProfile; dataset_id: string }> {
    await this.db
      .insertInto('mapping_projects')
      .values({ project_id: projectId, task_profile: taskProfile, dataset_id: `ds-${projectId}` })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .execute();
    return (await this.project(projectId))!;
  }
}
