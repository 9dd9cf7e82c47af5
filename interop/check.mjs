// check.mjs reads a mesa run directory the way researchers do outside Go:
// every .arrow table with apache-arrow JS (row counts, schema metadata, a
// categorical column decoded, the episodes' targets list of structs, the
// attribution's nullable p_value, and in a sweep each row's point and
// param columns against the manifest's points), and, given a Parquet
// export, every .parquet file with DuckDB, checking its row counts against
// the manifest, the targets, p_value and points against what apache-arrow
// read, and joining attribution to the probe episodes behind it.
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
// What apache-arrow read, for DuckDB to agree with.
const seen = {};
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
  const need = { episodes: ["targets", "probe", "probe_first"], attribution: ["candidate", "p_value", "attributed"] }[t.table] ?? [];
  for (const name of need) {
    if (!table.getChild(name)) fail(`arrow ${t.file}: no column ${name}`);
  }
  if (t.table === "episodes" && table.getChild("targets")) {
    // list<struct<target, step, pursued>>: null, or an array of structs.
    const col = table.getChild("targets");
    let visits = 0;
    let nulls = 0;
    for (let i = 0; i < table.numRows; i++) {
      const list = col.get(i);
      if (list === null) {
        nulls++;
        continue;
      }
      for (const v of list) {
        const o = v.toJSON();
        if (typeof o.target !== "string" || typeof o.step !== "number" || typeof o.pursued !== "boolean") {
          fail(`arrow ${t.file}: row ${i}: target visit decoded as ${JSON.stringify(o)}`);
        }
        visits++;
      }
    }
    seen.visits = visits;
    console.log(`  targets: visits=${visits} null=${nulls}`);
  }
  if (manifest.params) {
    // A sweep: every row's point, and its param columns agreeing with the
    // manifest's value of that point.
    const point = table.getChild("point");
    const cols = manifest.params.map((p) => [p, table.getChild(`param.${p.path}`)]);
    if (!point || cols.some(([, c]) => !c)) {
      fail(`arrow ${t.file}: no point or param columns`);
    } else {
      const counts = {};
      for (let i = 0; i < table.numRows; i++) {
        const pt = manifest.points.find((p) => p.index === point.get(i));
        if (!pt) fail(`arrow ${t.file}: row ${i}: point ${point.get(i)} is not in the manifest`);
        const vals = cols.map(([p, c]) => {
          const v = c.get(i);
          const want = p.numeric ? Number(pt?.values[p.path]) : pt?.values[p.path];
          if (v !== want) fail(`arrow ${t.file}: row ${i}: param.${p.path} ${v}, manifest says ${want}`);
          return v;
        });
        const key = [point.get(i), ...vals].join("/");
        counts[key] = (counts[key] ?? 0) + 1;
      }
      const line = Object.entries(counts).sort().map(([k, n]) => `${k}=${n}`).join(" ");
      (seen.points ??= {})[t.table] = line;
      console.log(`  points: ${line}`);
    }
  }
  if (t.table === "attribution" && table.getChild("p_value")) {
    const p = table.getChild("p_value");
    const a = table.getChild("attributed");
    let nulls = 0;
    let attributed = 0;
    for (let i = 0; i < table.numRows; i++) {
      if (p.get(i) === null) nulls++;
      else if (typeof p.get(i) !== "number") fail(`arrow ${t.file}: p_value decoded as ${typeof p.get(i)}`);
      if (a.get(i)) attributed++;
    }
    seen.pNulls = nulls;
    console.log(`  p_value null=${nulls} attributed=${attributed}`);
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
    if (manifest.params && n > 0) {
      const cols = ["point", ...manifest.params.map((p) => `"param.${p.path}"`)].join(", ");
      const rows = await q(`SELECT ${cols}, count(*)::INTEGER AS n FROM read_parquet('${path}') GROUP BY ALL ORDER BY ALL`);
      const line = rows
        .map((r) => `${Object.values(r).slice(0, -1).join("/")}=${r.n}`)
        .sort()
        .join(" ");
      console.log(`  points: ${line}`);
      if (seen.points?.[t.table] !== line) fail(`duckdb ${path}: points ${line}, arrow read ${seen.points?.[t.table]}`);
    }
    if (t.table === "episodes" && n > 0) {
      const rows = await q(
        `SELECT split, coalesce(outcome, 'null') AS outcome, count(*)::INTEGER AS n FROM read_parquet('${path}') GROUP BY ALL ORDER BY ALL`,
      );
      console.log(`  outcomes: ${rows.map((r) => `${r.split}/${r.outcome}=${r.n}`).join(" ")}`);
      const [{ visits }] = await q(
        `SELECT count(*)::INTEGER AS visits FROM (SELECT unnest(targets) AS v FROM read_parquet('${path}'))`,
      );
      console.log(`  targets: visits=${visits}`);
      if (seen.visits !== undefined && visits !== seen.visits) fail(`duckdb ${path}: ${visits} target visits, arrow read ${seen.visits}`);
    }
    if (t.table === "attribution" && n > 0) {
      const [{ nulls }] = await q(`SELECT count(*)::INTEGER AS nulls FROM read_parquet('${path}') WHERE p_value IS NULL`);
      if (seen.pNulls !== undefined && nulls !== seen.pNulls) fail(`duckdb ${path}: ${nulls} null p_value, arrow read ${seen.pNulls}`);
      const episodes = manifest.tables.find((e) => e.table === "episodes");
      if (episodes) {
        // Attribution joins the probe episodes behind its rates on
        // (agent_id, candidate = probe).
        const ep = join(parquetDir, episodes.file.replace(/\.arrow$/, ".parquet"));
        const [{ joined }] = await q(
          `SELECT count(*)::INTEGER AS joined FROM read_parquet('${path}') a JOIN read_parquet('${ep}') e ON a.agent_id = e.agent_id AND a.candidate = e.probe`,
        );
        console.log(`  p_value null=${nulls} probe episodes joined=${joined}`);
      }
    }
  }
}
process.exit(failed ? 1 : 0);
