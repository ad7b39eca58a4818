export {
  createDatabase,
  type Database,
  type DatabaseConfig,
  type Db,
  type Queryable,
  type ReadDb,
  type Statement,
  type Statements,
  schema,
  type Tx,
} from "./client.ts";
export { isConstraintError } from "./errors.ts";
export { MIGRATIONS_FOLDER, type MigrationStatus, migrateDatabase, migrationStatus } from "./migrate.ts";
export { isBusyError, retryBusy, WriteLane } from "./write-lane.ts";
