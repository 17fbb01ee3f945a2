// The live stream loses nothing across a cut: the page's EventSource reconnects by itself with the last
// event id it saw (Last-Event-ID), and the server continues right after that cursor. The changes are made
// while the page's server is down, by a second server process on the same database file — so they can
// only reach the page through the resume (a stream without Last-Event-ID starts at the newest cursor).

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Server, mcpAgent, launchBrowser, watchPage, recordStreamIds, openBoard } from "./support.js";

let browser;
let pageServer;
let otherServer;

after(async () => {
  await browser?.close();
  await otherServer?.close();
  await pageServer?.close();
});

test("events committed while the page's stream was cut arrive once each after it resumes", async () => {
  pageServer = await Server.start();
  otherServer = await Server.start({ db: pageServer.dbPath });
  const agent = await mcpAgent(otherServer);
  await agent.call("create_task", { title: "Before the page opened", created_by: "agent-a" });

  browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await recordStreamIds(page);
  await openBoard(page, pageServer, "#activity");

  // Live, through the other process (inotify on the WAL wakes the page's server).
  const live = await agent.call("create_task", { title: "While the page watches", created_by: "agent-a" });
  await page.locator(`#activity-list a[href="#task/${live.id}"]`).first().waitFor({ timeout: 5000 });

  // Cut: the page's server stops (its stream ends); the other process keeps writing.
  await pageServer.stop();
  await page.waitForSelector("#live-status[data-state='down']");
  const missed = [];
  for (let i = 1; i <= 3; i += 1) {
    missed.push(await agent.call("create_task", { title: `Made during the cut ${i}`, created_by: "agent-b" }));
  }
  await agent.call("add_comment", { task_id: missed[0].id, content: "also during the cut", created_by: "agent-b" });

  // Back on the same port: EventSource reconnects on its own (retry: 2 s), sending Last-Event-ID.
  const problems = await watchPage(page);
  await pageServer.spawn();
  await page.waitForSelector("#live-status[data-state='live']", { timeout: 15000 });
  for (const task of missed) {
    await page.locator(`#activity-list li[data-kind='task_created'] a[href="#task/${task.id}"]`).waitFor({ timeout: 5000 });
  }
  await page.locator("#activity-list li[data-kind='comment_added']").waitFor({ timeout: 5000 });
  await page.click("a[data-nav='board']");
  for (const task of missed) {
    await page.locator("ol[data-status='idle'] .card", { hasText: task.title }).waitFor({ timeout: 5000 });
  }

  // Exactly the feed, in order: every cursor after the first one the page saw, once.
  const received = await page.evaluate(() => window.__received);
  const feed = await agent.call("get_events", { after: received[0] - 1, limit: 1000 });
  const expected = feed.events.map((e) => e.cursor);
  assert.deepEqual(received, expected, `received ${received} vs feed ${expected}`);
  assert.equal(new Set(received).size, received.length, "no duplicates");
  const cutKinds = feed.events.filter((e) => e.actor === "agent-b").map((e) => e.kind);
  assert.deepEqual(cutKinds, ["task_created", "task_created", "task_created", "comment_added"]);
  // Chromium logs the failed reconnection attempts while the server was down; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !/ui\/stream|ERR_CONNECTION_REFUSED/.test(p)), [], problems.join("\n"));
  await agent.close();
});
