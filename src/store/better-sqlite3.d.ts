// The few parts of better-sqlite3 12.x that the SQLite store uses. @types/better-sqlite3 is
// not installed, and this keeps the store typed without adding a dependency.
declare module 'better-sqlite3' {
  namespace BetterSqlite3 {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Statement<Params extends unknown[] = unknown[], Row = unknown> {
      run(...params: Params): RunResult;
      get(...params: Params): Row | undefined;
      all(...params: Params): Row[];
      iterate(...params: Params): IterableIterator<Row>;
      /** Returns the first column of each row instead of row objects. */
      pluck(toggle?: boolean): this;
    }

    interface Transaction<F extends (...args: never[]) => unknown> {
      (...args: Parameters<F>): ReturnType<F>;
      // Properties, not methods: better-sqlite3 binds them, so they may be passed around.
      readonly deferred: (...args: Parameters<F>) => ReturnType<F>;
      readonly immediate: (...args: Parameters<F>) => ReturnType<F>;
      readonly exclusive: (...args: Parameters<F>) => ReturnType<F>;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Busy timeout in milliseconds (default 5000). */
      timeout?: number;
    }

    interface Database {
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly name: string;
      prepare<Params extends unknown[] = unknown[], Row = unknown>(
        source: string,
      ): Statement<Params, Row>;
      exec(source: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
      close(): this;
    }

    interface DatabaseConstructor {
      new (filename: string, options?: Options): Database;
    }
  }

  const Database: BetterSqlite3.DatabaseConstructor;
  export default Database;
  export type Database = BetterSqlite3.Database;
  export type Statement<P extends unknown[] = unknown[], R = unknown> = BetterSqlite3.Statement<
    P,
    R
  >;
  export type Transaction<F extends (...args: never[]) => unknown> = BetterSqlite3.Transaction<F>;
}
