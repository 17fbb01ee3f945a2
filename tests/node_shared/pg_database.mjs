// The Node.js suites (tests/browser, tests/ts_client) on PostgreSQL: with TINYTASK_TEST_DATABASE_URL set (an
// admin postgres:// URL of the test server; scripts/test.sh sets it for the PostgreSQL run), each database
// file a suite would give a server stands for a database of its own on that server, created on first use
// with `psql` and dropped when the test process exits. Two servers given the same file share one board, as
// they would share the file. Unset: nothing changes. Node.js built-ins only, so both npm projects import it.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";

const ADMIN = process.env.TINYTASK_TEST_DATABASE_URL || "";
const created = new Set();

function psql(sql) {
  return execFileSync("psql", [ADMIN, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" });
}

/** The environment that puts the board of `dbPath` in PostgreSQL (empty without the variable). */
export function databaseEnv(dbPath) {
  if (!ADMIN) return {};
  const name = `tt_${createHash("sha256").update(path.resolve(dbPath)).digest("hex").slice(0, 20)}`;
  if (!created.has(name)) {
    if (psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`).trim() !== "1") {
      psql(`CREATE DATABASE "${name}"`);
    }
    created.add(name);
  }
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  return { TINYTASK_DATABASE_URL: url.toString() };
}

process.on("exit", () => {
  for (const name of created) {
    try {
      psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch { /* the server may be gone; a later run uses fresh names anyway */ }
  }
});
