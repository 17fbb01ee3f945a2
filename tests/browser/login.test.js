// Login with TINYTASK_AUTH_TOKEN set: the form takes the token in its body, a wrong one is refused with the
// form again, the right one opens the board (whose API calls then work with the cookie alone), logout
// ends it; and TINYTASK_UI=readonly shows the views without any action.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Server, mcpAgent, launchBrowser, watchPage, screenshot } from "./support.js";

const TOKEN = "browser-test-token-7f3a";
const servers = [];
let browser;

async function server(env) {
  const started = await Server.start({ env: { TINYTASK_AUTH_TOKEN: TOKEN, ...env } });
  servers.push(started);
  return started;
}

async function logIn(page, base, token) {
  await page.goto(`${base}/ui/`);
  await page.fill("#token", token);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/ui/login`),
    page.click("#login-form button[type='submit']"),
  ]);
  return response;
}

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

test("the login form rejects a wrong token and the right one opens the board", async () => {
  browser ??= await launchBrowser();
  const srv = await server({});
  const agent = await mcpAgent(srv, TOKEN);
  await agent.call("create_task", { title: "Behind the login", created_by: "lead" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  const wrong = await logIn(page, srv.base, "not-the-token");
  assert.equal(wrong.status(), 401);
  await page.locator("#login-error", { hasText: "Wrong token" }).waitFor();
  assert.equal(await page.getAttribute("#token", "aria-invalid"), "true");
  assert.ok(!page.url().includes("not-the-token"), "the token never goes into a URL");
  assert.deepEqual(await context.cookies(), [], "no cookie for a wrong token");
  await screenshot(page, "login-refused");

  // From here on the page must be clean (the 401 above is logged by Chromium as a failed resource).
  const problems = await watchPage(page);
  const right = await logIn(page, srv.base, TOKEN);
  assert.equal(right.status(), 303);
  await page.waitForSelector("body[data-loaded='true']");
  await page.locator(".card", { hasText: "Behind the login" }).waitFor();
  await page.waitForSelector("#live-status[data-state='live']");
  const [cookie] = await context.cookies();
  assert.equal(cookie.name, "tinytask_ui");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.equal(cookie.path, "/");
  assert.equal(await page.evaluate(() => document.cookie), "", "scripts cannot read the cookie");

  // A write from the page works with the cookie and the page's CSRF token, and is the operator's.
  await page.goto(`${srv.base}/ui/#task/1`);
  await page.fill("#act-comment", "Seen by the operator.");
  await page.click("#form-comment button[type='submit']");
  await page.click("#confirm-ok");
  await page.locator("#notice[data-kind='ok']").waitFor();
  const task = await agent.call("get_task", { id: 1 });
  assert.equal(task.comments.at(-1).created_by, "operator");
  // The same write without the CSRF header is refused, precisely.
  const refused = await page.evaluate(async () => {
    const r = await fetch("/api/v1/tasks/1/comments", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ content: "forged", created_by: "x" }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /X-TinyTask-CSRF/);
  assert.equal(problems.filter((p) => !p.includes("403")).length, 0, problems.join("\n"));

  await page.click(".logout button");
  await page.locator("#login-form").waitFor();
  assert.deepEqual(await context.cookies(), [], "logout clears the cookie");
  await agent.close();
  await context.close();
});

test("readonly mode shows the views and no actions", async () => {
  browser ??= await launchBrowser();
  const srv = await server({ TINYTASK_UI: "readonly" });
  const agent = await mcpAgent(srv, TOKEN);
  await agent.call("create_task", { title: "Look, don't touch", created_by: "lead" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = await watchPage(page);
  await logIn(page, srv.base, TOKEN);
  await page.locator(".card", { hasText: "Look, don't touch" }).waitFor();
  await page.goto(`${srv.base}/ui/#task/1`);
  await page.locator("#h-task", { hasText: "Look, don't touch" }).waitFor();
  await page.locator("text=Read-only dashboard: no actions.").waitFor();
  assert.equal(await page.locator("#task-detail form, #task-detail button, #task-detail textarea").count(), 0);
  await screenshot(page, "task-detail-readonly");
  assert.deepEqual(problems, [], problems.join("\n"));
  // Even a hand-made request with the cookie and the CSRF token is refused.
  const refused = await page.evaluate(async () => {
    const csrf = document.querySelector("meta[name='tinytask-csrf']").content;
    const r = await fetch("/api/v1/tasks/1", {
      method: "PATCH", headers: { "Content-Type": "application/json", "X-TinyTask-CSRF": csrf },
      body: JSON.stringify({ priority: 9 }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /TINYTASK_UI=readonly/);
  assert.equal((await agent.call("get_task", { id: 1 })).priority, 0);
  await agent.close();
  await context.close();
});
