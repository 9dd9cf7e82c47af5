// Package data is mesa's data contract: the Arrow tables a run writes, their
// provenance, typed writers and readers, and export to Parquet and CSV.
//
// It imports only the standard library, arrow-go and flatbuffers, never a
// simulator package (world, agents, train): reading a run links no
// simulator. Rows are plain values; the adapters that fill them from
// levels, episodes and training statistics live in package experiment.
// The vocabularies spell the simulator's names as literals (see
// Vocabulary), checked against the simulator by a test in experiment.
//
// # Run directory
//
//	manifest.json   format, schema_version, run_id, root_seed, status (complete|partial),
//	                error, compression, config (verbatim), versions, a sweep's params
//	                and points, per finished table: file, rows, batches, bytes,
//	                sha256; while partial, writing: every file its writer may
//	                have left; self_sha256, the seal (see below)
//	plan.json       a sweep's (or run's) plan: format, run_id, config, units, sha256,
//	                self_sha256 (see RunPlan), written before any unit
//	episodes.arrow     one row per evaluation episode (train, deploy and probe splits)
//	training.arrow     one row per generation (GA, ES) or update (SGD) per training run
//	agents.arrow       one row per trained (or scripted) agent
//	attribution.arrow  one row per evaluated agent and candidate objective
//	steps.arrow        one row per environment step, only with Options.Steps
//	curriculum.arrow   one row per training level of each checkpoint iteration, only with
//	                   Options.Curriculum (see CurriculumRow)
//	units/<unit>/      a sweep's units, each a run directory of its own
//	lock, lock.<id>    the directory's lock and its holders (see Lock)
//	parquet/, csv/, report/   what mesa export and mesa analyze write by default,
//	                each marked by its mesa-output.json (see Output)
//
// # What is mesa's
//
// mesa writes and removes only what it can prove it wrote. A directory is
// a run only if it holds mesa's manifest or plan (the right format, a run
// id, and an intact seal; both, if both are there, naming the same run);
// an output (a report or an export) only if it holds mesa's
// mesa-output.json, which names its kind, its runs and its files; it is
// empty if it holds nothing but what mesa leaves before a run exists (its
// lock files, a dead holder's journaled temporaries). Anything else is the
// user's: CheckRunDir, Create, RemoveRun and OpenOutput refuse a
// directory that is not empty and not mesa's, whatever the caller means to
// do there, before a single file is written.
//
// Within mesa's directories, only what a list of mesa's names is mesa's:
// the tables a manifest lists (with the files its partial writer may have
// left), the plan, the units of the same run id, the outputs whose marker
// names the same run, and the temporaries a lock holder recorded in its
// journal before creating them. RemoveRun removes exactly these, only
// regular files, never by name pattern, never recursively into what mesa
// did not write, and never through a symbolic link; a user's files in a
// run, report or export directory stay. Files are created exclusively
// (O_EXCL, under os.Root), never opened over an existing file, and a
// symbolic link inside a mesa directory is never followed: a command
// meeting one where it would write refuses.
//
// Seals: manifest.json, plan.json and mesa-output.json carry self_sha256,
// the SHA-256 of the file with that field's value replaced by 64 zeros, so
// that any changed byte is detected. Files without a seal (written before
// seals existed) are read unchecked.
//
// # Verified reading
//
// OpenRun opens a run for reading: its manifest checked as above, and its
// plan, if there is one, of the same run. Each table reader it opens
// verifies the file against the manifest (size and SHA-256, read through
// the very open file it then decodes) and checks that the file's rows are
// of the manifest's run (mesa.run_id): a changed file, another run's
// file, or a symbolic link is refused with one line naming the file. mesa
// analyze, render and export read only through it; OpenEpisodes and the
// other path readers read one file as it is, for notebooks and tests.
//
// Tables are Arrow IPC files (Feather v2): pandas read_feather, polars
// read_ipc, R arrow read_feather/read_ipc_file, DuckDB (via `mesa export`
// Parquet) and apache-arrow JS read them. Bodies are uncompressed unless
// the run asked for lz4 or zstd (see CompressionNone for why).
//
// # Tables
//
// Columns are snake_case; the exact schemas are pinned in
// testdata/schemas.golden. The row structs (EpisodeRow, TrainingRow,
// AgentRow, AttributionRow, StepRow) document each column. In short:
//
//   - episodes: run_id, optimizer, family, agent_id, agent_seed, split,
//     level_seed, width, height, steps, base_return, reached_exit,
//     first_target, outcome, proxy, apples_eaten, then episode,
//     distribution, greedy, first_step, step_limit, exit_colour, exit_x,
//     exit_y, start_x, start_y, end_x, end_y, apples, randomized, cue,
//     shortest_path, cells_visited, then (schema version 2) targets
//     list<struct<target utf8, step int32, pursued bool>> (the exit,
//     apples and candidate corner regions reached, in order, and whether
//     the path went to each), probe (the candidate objective a probe level
//     probes) and probe_first (exit, target, control or none). "Which
//     objective did the agent pursue, under which shift" is outcome and
//     proxy grouped by split, distribution, exit_colour and randomized;
//     outcome is goal, proxy_then_goal, proxy or capability_failure.
//   - training: run_id, optimizer, family, agent_seed, population,
//     iteration, env_steps, episodes, fitness_min, fitness_mean,
//     fitness_max, fitness_std, best, grad_norm, entropy, step_size,
//     elapsed_ms, distribution, param_norm (mirrors train.Stats).
//   - agents: run_id, optimizer, family, agent_id, agent_seed, role, index,
//     fitness, params list<float64>, param_names list<utf8>,
//     mesa_objective list<struct<feature utf8, weight float64>>, status,
//     env_steps, episodes, iterations, distribution.
//   - attribution: run_id, optimizer, family, agent_id, agent_seed,
//     candidate, role, control, probes, exit_first, target_first,
//     control_first, target_rate, target_lo, target_hi, control_rate,
//     control_lo, control_hi, p_value, pursued, beta, log_lik,
//     log_evidence, posterior, attributed, readout, probe_steps: for each
//     evaluated agent and candidate objective (goal, each proxy, the
//     object kinds, the controls, random), the probe episodes' rates of
//     reaching the candidate's target and its control first with 95%
//     Wilson intervals and a sign test (pursued: it survives Holm's
//     correction), the inverse-planning fit and posterior (attributed: the
//     agent's most probable candidate; the posterior is a BIC weight over
//     dependent steps, not a calibrated probability), and the planner
//     readout; then (schema version 5) verdict (the attributed candidate,
//     none or unstable), stability and share (bootstrap resamples of the
//     probe episodes that give the verdict's label, and this candidate),
//     gain (nats per step over the random walk), and for each proxy with a
//     control and that control the graded probes: k_star, k_lo, k_hi,
//     k_censored (the indifference offset in steps with its interval,
//     censored below or above the offsets probed), strength, strength_lo,
//     strength_hi (on proxy rows: k_star minus the control's) and graded
//     list<struct<offset int32, episodes int32, target_first int32,
//     exit_first int32>> (the curve). "Which objective does each agent
//     pursue" is verdict; "how much does it want the proxy" is strength.
//   - steps: run_id, agent_id, split, episode, t, x, y, action, object.
//
// Every table then ends with point (schema version 3) and, in a sweep, a
// param.<path> column per sweep parameter (see Sweeps).
//
// Episodes, steps, agents and attribution join on agent_id; episodes and
// steps on (agent_id, split, episode); attribution and the probe episodes
// behind its rates on (agent_id, candidate = probe); training and agents
// on (optimizer, family, agent_seed).
//
// param_names is a per-row list rather than schema metadata: pandas and
// polars drop schema metadata on read and SQL cannot see it, while a list
// column reaches every tool and keeps rows self-contained. The price is
// repetition: in the smoke run, names are three quarters of an
// uncompressed agents.arrow (1.2 MB for 48 agents), which lz4 or zstd
// files and the Parquet export (296 kB) all but remove.
//
// Seeds are uint64. R arrow turns uint64 above 2^53 into doubles: cast
// them to strings in arrow before collecting if you need them exactly.
//
// # Categorical columns
//
// optimizer, family, split, outcome, proxy, first_target, role, status,
// exit_colour, action, object, distribution, probe, probe_first,
// candidate, control, verdict, k_censored and run_id are dictionary
// arrays (dictionary<int8|int16, utf8>; categoricals in pandas and
// polars, factors in R). An Arrow IPC file holds one dictionary per column,
// so each has a fixed vocabulary (Vocabulary), written in full; the run
// extends the family, distribution and split vocabularies through
// RunInfo. Appending a value outside a vocabulary is an error.
//
// # Nulls
//
// first_target, outcome, proxy, distribution, first_step, shortest_path,
// targets, probe, probe_first, elapsed_ms, param_names, mesa_objective,
// status, control, p_value, readout and the attribution columns of schema
// version 5 may be null. In the row structs null is the zero value of the
// field ("" or 0, nil slices; an empty non-nil slice is an empty list),
// except p_value, readout and the version 5 float columns (stability,
// share, gain, k_*, strength*), where null is NaN. k_lo, k_hi, strength_lo
// and strength_hi hold -Inf or +Inf where an interval is open.
//
// # Provenance and versions
//
// Every table's schema metadata holds mesa.schema_version, mesa.table,
// mesa.run_id, mesa.root_seed, mesa.config (the resolved config),
// mesa.versions (JSON) and mesa.params (a JSON array of the param columns).
// SchemaVersion changes with any change to columns, types or
// vocabularies; readers accept version 2 and later versions whose required
// columns still match, ignoring columns they do not know (version 2 files
// read with point 0).
//
// # Sweeps
//
// A sweep runs one config at several points, each a value for every
// parameter (a config path such as train.randomize). The sweep's rows are
// told apart by columns, so that a notebook can group by them:
//
//   - point, int32: the sweep point's index, in every table; 0 outside
//     sweeps.
//   - param.<path>, one per RunInfo.Params in order, after point: float64
//     for numeric parameters, else a dictionary<int16, utf8> of the values
//     the sweep's points give it (RunInfo.Points, in order of first
//     appearance). Never null.
//
// The writer stamps every row with its current point, which SetPoint
// chooses; the manifest records the parameters and every point's values
// (Manifest.Params, Manifest.Points, Manifest.Point), and mesa.params
// lists the param columns. Row structs carry Point; a parameter's value
// is read from the manifest, or from the param columns by tools that read
// the files directly. Parquet and CSV exports keep these columns.
//
// # One writer per directory
//
// Lock holds a run directory for a writer: LockShared for the shards of
// one sweep writing disjoint parts concurrently, LockExclusive for a whole
// run, a merge, an overwrite or a removal. It is flock(2) on dir/lock,
// taken without waiting (a contender fails at once, its error quoting the
// live holders' texts from their dir/lock.<id> files) and released by
// Unlock or by the kernel when the holder dies, even by SIGKILL. Create
// and Writer do not lock: the caller holds the lock for as long as it
// writes. Through the lock, a holder claims the directory's plan
// atomically (ClaimPlan: of two plans claiming one directory at once,
// exactly one is written, and the other is refused before it writes a
// unit), and writes units and merges into temporary directories it first
// records in its holder file (its journal), then renames into place
// (CreateUnit, CommitUnit, CreateMerge, Publish). A holder that dies
// leaves its journal; the next holder removes what it lists.
//
// An Output (a report, an export) is written under its own lock (a lock
// file in its directory): concurrent writers of one directory never mix
// their files. Its files get their names only once all are written; a
// failure leaves the earlier output whole.
//
// # Determinism and crash safety
//
// Files hold no timestamps: the same sequence of Writer calls gives
// byte-identical files (training elapsed_ms is wall time unless
// Options.OmitTiming). Tables are written as <table>.arrow.tmp and renamed
// to <table>.arrow only once every table is complete; manifest.json is
// replaced atomically and says "partial" until Close succeeds, so a killed
// run never looks complete. Abort keeps what was written as
// <table>.partial.arrow with a partial manifest. A write that fails (a
// full disk, a file size limit) is an error of one line naming the file
// and the OS error ("data: /runs/x/episodes.arrow.tmp: write: file too
// large"); the run then ends as Abort leaves it, the failed table left as
// <table>.arrow.tmp, listed under writing but not as a table. A merge is
// published so that a kill at any moment leaves a manifest listing every
// table file present, never a complete manifest over other tables.
package data
