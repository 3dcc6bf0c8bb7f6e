/**
 * Test support: an in-memory DuckDB (an independent Parquet reader) with UTC session time.
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** A DuckDB connection that answers SQL with row objects. */
export interface DuckDb {
  /** Native values: BIGINT → bigint, DOUBLE/INTEGER → number, VARCHAR → string. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** JSON-friendly values (BIGINT and timestamps as strings). */
  jsonRows(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

/** Opens an in-memory DuckDB with `TimeZone = 'UTC'`. */
export async function openDuckDb(): Promise<DuckDb> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SET TimeZone='UTC'");
  return {
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[],
    jsonRows: async (sql) =>
      (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Quotes a path or text as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
