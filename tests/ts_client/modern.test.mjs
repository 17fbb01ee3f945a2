// What only the 2026-07-28 era has, through the TypeScript SDK v2 client over Streamable HTTP and stdio:
// the server/discover result (at connect, and asked again later) and subscriptions/listen — acknowledged
// with the honoured subset of the filter, then only the subscribed resource's updates, including a change
// made by a legacy-era client over the other transport of the same server process (TINYTASK_MODE=both),
// and closed by the client.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Board, LEGACY, MODERN, TRANSPORTS, call, eventually } from "./support.mjs";

/** era-contract.md: every revision TinyTask serves, newest first. */
const SUPPORTED = [MODERN, LEGACY, "2025-06-18", "2025-03-26", "2024-11-05"];

let board;
before(async () => { board = await Board.open(); });
after(async () => { await board?.close(); });

for (const transport of TRANSPORTS) {
  const other = transport === "http" ? "stdio" : "http";

  describe(`modern era over ${transport}`, () => {
    let client;
    let writer;
    before(async () => {
      // One process behind both transports: the stdio client's server also serves HTTP.
      if (transport === "stdio") {
        const host = await board.connectStdioServingHttp("modern");
        client = host.client;
        writer = await board.connect("legacy", "http", { base: host.base });
      } else {
        const host = await board.connectStdioServingHttp("legacy");
        writer = host.client;
        client = await board.connect("modern", "http", { base: host.base });
      }
    });
    after(async () => {
      await client?.close();
      await writer?.close();
    });

    test("the connect-time server/discover result names the versions, capabilities and server", () => {
      const discover = client.getDiscoverResult();
      assert.ok(discover, "the pinned connect ran server/discover");
      assert.deepEqual(discover.supportedVersions, SUPPORTED);
      assert.ok(discover.capabilities?.tools, "tools capability");
      assert.ok(discover.capabilities?.resources, "resources capability");
      assert.equal(discover._meta?.["io.modelcontextprotocol/serverInfo"]?.name, "tinytask-mcp");
      assert.equal(client.getServerVersion()?.name, "tinytask-mcp", "the SDK read the server identity from _meta");
      assert.equal(typeof discover.instructions, "string");
      assert.ok(discover.instructions.length > 0, "instructions are not empty");
    });

    test("server/discover asked again mid-connection answers the same", async () => {
      const first = client.getDiscoverResult();
      const again = await client.discover();
      assert.deepEqual(again.supportedVersions, first.supportedVersions);
      assert.deepEqual(again.capabilities, first.capabilities);
    });

    test(`subscriptions/listen delivers only the subscribed task's updates, also from a legacy client over ${other}`, async () => {
      const watched = await call(client, "create_task", { title: `watched over ${transport}`, created_by: "ts-client" });
      const unrelated = await call(client, "create_task", { title: `unrelated over ${transport}`, created_by: "ts-client" });
      const uri = `task://${watched.id}`;
      const updates = [];
      client.setNotificationHandler("notifications/resources/updated", (n) => { updates.push(n.params.uri); });

      const filter = { resourceSubscriptions: [uri], resourcesListChanged: true };
      const subscription = await client.listen(filter);
      try {
        const honoured = subscription.honoredFilter;
        assert.deepEqual(honoured.resourceSubscriptions, [uri], `the task URI is honoured: ${JSON.stringify(honoured)}`);
        for (const [key, value] of Object.entries(honoured)) {
          assert.ok(key in filter, `acknowledged ${key}, which was not requested`);
          if (value === true) assert.equal(filter[key], true, `${key} honoured only if requested`);
        }

        // The unrelated change commits first: had it been delivered, it would have come before the watched one.
        await call(writer, "update_task", { id: unrelated.id, priority: 5 });
        await call(writer, "update_task", { id: watched.id, status: "working", assigned_to: "ts-agent" });
        await eventually(`notifications/resources/updated for ${uri} over ${transport}`, () => updates.includes(uri), 10_000);
        assert.deepEqual([...new Set(updates)], [uri], `only the subscribed URI: ${JSON.stringify(updates)}`);

        // A change made on this very connection arrives too.
        const before = updates.length;
        await call(client, "add_comment", { task_id: watched.id, content: "seen", created_by: "ts-client" });
        await eventually(`a second update for ${uri}`, () => updates.length > before, 10_000);
      } finally {
        await subscription.close();
      }
      assert.equal(await subscription.closed, "local");
    });
  });
}
