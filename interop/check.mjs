// check.mjs reads a mesa run directory the way researchers do outside Go:
// every .arrow table with apache-arrow JS (row counts, schema metadata, a
// categorical column decoded), and, given a Parquet export, every .parquet
// file with DuckDB, checking its row counts against the manifest.
//
//   npm ci && node check.mjs RUN_DIR [PARQUET_DIR]
//
// It prints one line per table and exits 1 on any mismatch.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";

const [dir, parquetDir] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node check.mjs RUN_DIR [PARQUET_DIR]");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
let failed = false;
const fail = (msg) => {
  console.log(`FAIL ${msg}`);
  failed = true;
};

console.log(`manifest run_id=${manifest.run_id} status=${manifest.status} schema_version=${manifest.schema_version} compression=${manifest.compression}`);
for (const t of manifest.tables) {
  let table;
  try {
    table = tableFromIPC(readFileSync(join(dir, t.file)));
  } catch (e) {
    fail(`arrow ${t.file}: ${e.message}`);
    continue;
  }
  const md = table.schema.metadata;
  const meta = ["mesa.schema_version", "mesa.table", "mesa.run_id", "mesa.root_seed"]
    .map((k) => `${k}=${md.get(k)}`)
    .join(" ");
  const config = md.get("mesa.config") ?? "";
  console.log(`arrow ${t.file} rows=${table.numRows} columns=${table.numCols} ${meta} config_bytes=${config.length}`);
  if (table.numRows !== t.rows) fail(`arrow ${t.file}: ${table.numRows} rows, manifest says ${t.rows}`);
  if (md.get("mesa.table") !== t.table) fail(`arrow ${t.file}: mesa.table ${md.get("mesa.table")}`);
  if (table.numRows > 0) {
    // A dictionary column must decode to its string, a uint64 to a bigint.
    const first = table.get(0).toJSON();
    const shown = Object.fromEntries(
      Object.entries(first)
        .slice(0, 6)
        .map(([k, v]) => [k, typeof v === "bigint" ? `${v}n` : v]),
    );
    console.log(`  first row: ${JSON.stringify(shown)}`);
    if (typeof first.run_id !== "string") fail(`arrow ${t.file}: run_id decoded as ${typeof first.run_id}`);
  }
}

if (parquetDir) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  for (const t of manifest.tables) {
    const path = join(parquetDir, t.file.replace(/\.arrow$/, ".parquet"));
    const q = (sql) => con.runAndReadAll(sql).then((r) => r.getRowObjects());
    const [{ n }] = await q(`SELECT count(*)::INTEGER AS n FROM read_parquet('${path}')`);
    const kv = await q(
      `SELECT decode(value) AS v FROM parquet_kv_metadata('${path}') WHERE decode(key) = 'mesa.schema_version'`,
    );
    console.log(`duckdb ${path} rows=${n} mesa.schema_version=${kv.length ? kv[0].v : "missing"}`);
    if (n !== t.rows) fail(`duckdb ${path}: ${n} rows, manifest says ${t.rows}`);
    if (t.table === "episodes" && n > 0) {
      const rows = await q(
        `SELECT split, coalesce(outcome, 'null') AS outcome, count(*)::INTEGER AS n FROM read_parquet('${path}') GROUP BY ALL ORDER BY ALL`,
      );
      console.log(`  outcomes: ${rows.map((r) => `${r.split}/${r.outcome}=${r.n}`).join(" ")}`);
    }
  }
}
process.exit(failed ? 1 : 0);
