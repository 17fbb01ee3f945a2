// Shared by the TypeScript SDK v2 client tests: the real binary (TINYTASK_BIN) on a temporary database, and
// the official client (@modelcontextprotocol/client, pinned in package.json) connected to it in one of the
// two eras over one of the two transports. The era is chosen the way an application chooses it with this
// SDK: `versionNegotiation.mode` — `{ pin: "2026-07-28" }` (server/discover, no initialize, no session, no
// fallback: anything else fails the connect) or `"legacy"` (the initialize handshake at the SDK's
// LATEST_PROTOCOL_VERSION, 2025-11-25).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, LATEST_PROTOCOL_VERSION, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { databaseEnv } from "../node_shared/pg_database.mjs";

export const MODERN = "2026-07-28";
export const LEGACY = "2025-11-25";

/** Each era: the client options that select it, and the protocol version the connection must end on. */
export const ERAS = {
  modern: { version: MODERN, options: { versionNegotiation: { mode: { pin: MODERN } } } },
  legacy: { version: LEGACY, options: { versionNegotiation: { mode: "legacy" } } },
};

export const TRANSPORTS = ["http", "stdio"];

/** Every (era, transport) pair, for `for (const { era, transport } of COMBINATIONS) describe(...)`. */
export const COMBINATIONS = Object.keys(ERAS).flatMap((era) => TRANSPORTS.map((transport) => ({ era, transport })));

if (LATEST_PROTOCOL_VERSION !== LEGACY) {
  // The legacy era's version is the SDK's choice, not ours: a newer SDK pin must update LEGACY knowingly.
  throw new Error(`the pinned SDK's legacy protocol version is ${LATEST_PROTOCOL_VERSION}, these tests expect ${LEGACY}`);
}

function binary() {
  const bin = process.env.TINYTASK_BIN;
  if (!bin || !path.isAbsolute(bin)) {
    throw new Error(`TINYTASK_BIN must be the absolute path of the tinytask binary (got ${JSON.stringify(bin)})`);
  }
  return bin;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Client → the stderr its stdio server process wrote so far (for failure messages). */
const stderrOf = new WeakMap();

/** Polls `${base}/health` until it answers 200 (at most 10 s, or until `exited()`); throws with `log()`. */
async function waitHealthy(base, exited, log) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch { /* not listening yet */ }
    if (exited() || Date.now() > deadline) throw new Error(`tinytask did not become healthy on ${base}: ${log()}`);
    await sleep(20);
  }
}

/**
 * One board: a temporary database, served over HTTP by a `tinytask serve` process started here, and over
 * stdio by a process each stdio client starts itself (the SDK's StdioClientTransport spawns it), on the same
 * file — so a change made over one transport is visible on the other.
 */
export class Board {
  static async open() {
    const board = new Board();
    board.dir = mkdtempSync(path.join(tmpdir(), "tinytask-ts-client-"));
    board.dbPath = path.join(board.dir, "board.db");
    board.port = await freePort();
    board.base = `http://127.0.0.1:${board.port}`;
    board.log = "";
    await board.startHttp();
    return board;
  }

  env(mode, port = this.port) {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      TINYTASK_MODE: mode,
      TINYTASK_HOST: "127.0.0.1",
      TINYTASK_PORT: String(port),
      TINYTASK_DB_PATH: this.dbPath,
      ...databaseEnv(this.dbPath),
      TINYTASK_LOG_LEVEL: "warn",
    };
  }

  async startHttp() {
    this.process = spawn(binary(), ["serve"], { env: this.env("http"), stdio: ["ignore", "ignore", "pipe"] });
    this.process.stderr.on("data", (chunk) => { this.log += chunk; });
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    await waitHealthy(this.base, () => this.process.exitCode !== null, () => this.log);
  }

  /**
   * A client of this board in `era` ("modern" | "legacy") over `transport` ("http" | "stdio"), connected.
   * `base`: the HTTP server to use instead of the board's own. `httpPort`: the stdio process also serves
   * HTTP on that port (TINYTASK_MODE=both).
   */
  async connect(era, transport, { base = this.base, httpPort } = {}) {
    const { options } = ERAS[era];
    const client = new Client({ name: "tinytask-ts-client-tests", version: "1.0.0" }, options);
    const env = httpPort === undefined ? this.env("stdio") : this.env("both", httpPort);
    const wire = transport === "http"
      ? new StreamableHTTPClientTransport(new URL(`${base}/mcp`))
      : new StdioClientTransport({ command: binary(), args: ["serve"], env, stderr: "pipe" });
    let stderr = "";
    wire.stderr?.on("data", (chunk) => { stderr += chunk; });
    try {
      await client.connect(wire, { timeout: 10_000 });
    } catch (error) {
      throw new Error(`${era} client over ${transport} failed to connect: ${error.message}\nserver log: ${this.log}${stderr}`);
    }
    stderrOf.set(client, () => stderr);
    return client;
  }

  /**
   * A stdio client whose server process also serves HTTP (TINYTASK_MODE=both) on a port of its own: one
   * process behind both transports. Resource subscriptions follow the commits of their own process (another
   * process's commits on the same file only wake waiting calls), so this is how a change made over one
   * transport reaches a subscriber on the other. Returns the client and that process's HTTP base URL.
   */
  async connectStdioServingHttp(era) {
    const port = await freePort();
    const client = await this.connect(era, "stdio", { httpPort: port });
    const base = `http://127.0.0.1:${port}`;
    await waitHealthy(base, () => false, () => stderrOf.get(client)());
    return { client, base };
  }

  async close() {
    if (this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The JSON a TinyTask tool answered (its text content), or throws with the tool's error text. */
export function toolJson(name, result) {
  const text = result.content?.[0]?.text ?? "";
  if (result.isError) throw new Error(`${name} answered isError: ${text}`);
  return JSON.parse(text);
}

/** Calls a tool and returns its JSON answer. */
export async function call(client, name, args) {
  return toolJson(name, await client.callTool({ name, arguments: args }));
}

/**
 * Waits until `predicate()` is true, polling every 20 ms for at most `ms`; throws naming `what`.
 */
export async function eventually(what, predicate, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
