// Shared by the browser tests: start the real binary (TINYTASK_BIN) on 127.0.0.1 with a temporary database,
// drive Debian's Chromium through playwright-core, act as an agent with the MCP TypeScript SDK (Streamable
// HTTP on /mcp), and record console errors and CSP violations of the page.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { databaseEnv } from "../node_shared/pg_database.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
/** Screenshots of every run (README "Dashboard"). */
export const ARTIFACTS = path.join(REPO, "target", "browser-artifacts");

function binary() {
  const bin = process.env.TINYTASK_BIN;
  if (!bin || !path.isAbsolute(bin)) {
    throw new Error(`TINYTASK_BIN must be the absolute path of the tinytask binary (got ${JSON.stringify(bin)})`);
  }
  return bin;
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
    } catch { /* next */ }
  }
  throw new Error("no chromium found: run scripts/browser-env.sh");
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

/** A running tinytask process. `stop()` sends SIGTERM and waits for the exit. */
export class Server {
  constructor(env, port, dbPath) {
    this.env = env;
    this.port = port;
    this.dbPath = dbPath;
    this.base = `http://127.0.0.1:${port}`;
    this.log = "";
  }

  /** Starts a server; `db` shares another server's database file (several processes, one board). */
  static async start({ env = {}, db } = {}) {
    const dir = db ? null : mkdtempSync(path.join(tmpdir(), "tinytask-browser-"));
    const server = new Server(env, await freePort(), db ?? path.join(dir, "board.db"));
    server.dir = dir;
    await server.spawn();
    return server;
  }

  async spawn() {
    this.process = spawn(binary(), ["serve"], {
      env: {
        PATH: process.env.PATH,
        TINYTASK_MODE: "http",
        TINYTASK_HOST: "127.0.0.1",
        TINYTASK_PORT: String(this.port),
        TINYTASK_DB_PATH: this.dbPath,
        ...databaseEnv(this.dbPath),
        TINYTASK_LOG_LEVEL: "warn",
        ...this.env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.process.stderr.on("data", (chunk) => { this.log += chunk; });
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const response = await fetch(`${this.base}/health`);
        if (response.ok) return;
      } catch { /* not listening yet */ }
      if (this.process.exitCode !== null || Date.now() > deadline) {
        throw new Error(`tinytask did not become healthy on ${this.base}: ${this.log}`);
      }
      await sleep(20);
    }
  }

  async stop() {
    if (this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      await this.exited;
    }
  }

  /** Stops, then starts again on the same port and database. */
  async restart() {
    await this.stop();
    await this.spawn();
  }

  async close() {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An MCP client (the official TypeScript SDK) on the server's /mcp, as agents connect. */
export async function mcpAgent(server, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: "tinytask-browser-tests", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`), { requestInit: { headers } }));
  return {
    client,
    /** Calls a tool; its JSON result, or throws the tool's error text. */
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      const text = result.content?.[0]?.text ?? "";
      if (result.isError) throw new Error(`${name}: ${text}`);
      return JSON.parse(text);
    },
    close: () => client.close(),
  };
}

/** Headless Debian Chromium through playwright-core (which downloads no browser). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container has no user namespace for the sandbox.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/**
 * Records what must not happen on a page: console errors, uncaught exceptions and Content-Security-Policy
 * violations (reported by the `securitypolicyviolation` event, watched from before any page script runs).
 */
export async function watchPage(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return problems;
}

/** Records the id of every `board` event the page's EventSource receives (window.__received). */
export async function recordStreamIds(page) {
  await page.addInitScript(() => {
    window.__received = [];
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(...args) {
        super(...args);
        this.addEventListener("board", (event) => window.__received.push(Number(event.lastEventId)));
      }
    };
  });
}

/** Saves a screenshot as target/browser-artifacts/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Opens the board and waits until its first render is done. */
export async function openBoard(page, server, hash = "#board") {
  await page.goto(`${server.base}/ui/${hash}`);
  await page.waitForSelector("body[data-loaded='true']");
  await page.waitForSelector("#live-status[data-state='live']");
}
