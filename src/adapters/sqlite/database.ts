import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/** One schema change; `id` is unique across every area and never reused. */
export interface SqliteMigration {
  id: string;
  sql: string;
}

/** Opens (creating if needed) the database file with the settings every adapter relies on. */
export function openSqlite(file: string): SqliteDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The ids of `migrations` that `db` has not applied; reads only. */
export function pendingMigrations(db: SqliteDatabase, migrations: SqliteMigration[]): string[] {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  const applied = new Set(
    table
      ? db
          .prepare('SELECT id FROM schema_migrations')
          .all()
          .map((row) => (row as { id: string }).id)
      : [],
  );
  return migrations.filter((m) => !applied.has(m.id)).map((m) => m.id);
}

/** Applies, in order and each in its own transaction, the migrations not applied yet. */
export function migrateSqlite(db: SqliteDatabase, migrations: SqliteMigration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const pending = new Set(pendingMigrations(db, migrations));
  const done: string[] = [];
  for (const migration of migrations) {
    if (!pending.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(
        migration.id,
        Date.now(),
      );
    })();
    done.push(migration.id);
  }
  return done;
}
