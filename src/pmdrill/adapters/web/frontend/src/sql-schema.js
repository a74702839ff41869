// What the SQL editor knows about the warehouse, free of CodeMirror: which CodeMirror dialect
// a pmdrill dialect uses, and the unqualified column completions for a schema.

const DIALECTS = {
  duckdb: "postgres", // DuckDB's syntax follows PostgreSQL's (::casts, ILIKE, $1)
  postgres: "postgres",
  postgresql: "postgres",
  mysql: "mysql",
  mariadb: "mysql",
  bigquery: "standard",
  standard: "standard",
};

/** The CodeMirror dialect ("postgres", "mysql" or "standard") for a pmdrill dialect name. */
export function dialectKey(name) {
  return DIALECTS[String(name ?? "").trim().toLowerCase()] ?? "standard";
}

/**
 * Completions for every column name in `tables` ({table: [column, ...]}), each naming the tables
 * that have it; columns of tables that `sqlText` mentions rank first.
 */
export function columnOptions(tables, sqlText = "") {
  const words = new Set(sqlText.toLowerCase().match(/[a-z_][\w$]*/g) ?? []);
  const columns = new Map();
  for (const [table, names] of Object.entries(tables ?? {})) {
    for (const name of Array.isArray(names) ? names : []) {
      const entry = columns.get(name) ?? { tables: [], mentioned: false };
      entry.tables.push(table);
      entry.mentioned ||= words.has(table.toLowerCase());
      columns.set(name, entry);
    }
  }
  return Array.from(columns, ([label, { tables: owners, mentioned }]) => ({
    label,
    type: "property",
    detail: owners.join(", "),
    boost: mentioned ? 1 : 0,
  }));
}
