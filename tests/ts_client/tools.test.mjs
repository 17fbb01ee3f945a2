// Tools through the TypeScript SDK v2 client, in both eras over Streamable HTTP and stdio: the era the
// connection ends on, tools/list (one registry: the same tools whatever the era or transport), a task
// created, read and updated (the SDK validates every structuredContent against the tool's outputSchema), and
// tool errors as results with isError (not JSON-RPC errors).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Board, COMBINATIONS, ERAS, call } from "./support.mjs";

/** Tools of the 2.x work loop: whatever else is added, these are always listed with these parameters. */
const CORE = {
  create_task: ["title", "created_by"],
  get_task: ["id"],
  update_task: ["id"],
  list_tasks: [],
  add_comment: ["task_id", "content"],
  signup_for_task: ["agent_name"],
};

let board;
before(async () => { board = await Board.open(); });
after(async () => { await board?.close(); });

/** Tool names of each (era, transport), filled by the tools/list tests and compared at the end. */
const listed = new Map();

for (const { era, transport } of COMBINATIONS) {
  describe(`${era} era over ${transport}`, () => {
    let client;
    before(async () => { client = await board.connect(era, transport); });
    after(async () => { await client?.close(); });

    test(`connects in the ${era} era at ${ERAS[era].version}`, () => {
      assert.equal(client.getProtocolEra(), era);
      assert.equal(client.getNegotiatedProtocolVersion(), ERAS[era].version);
      assert.equal(client.getServerVersion()?.name, "tinytask-mcp");
      assert.ok(client.getServerCapabilities()?.tools, "tools capability declared");
      if (era === "legacy") assert.equal(client.getDiscoverResult(), undefined, "no server/discover in legacy mode");
    });

    test("tools/list lists the work-loop tools with object input schemas", async () => {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      assert.equal(byName.size, tools.length, "tool names are unique");
      for (const [name, required] of Object.entries(CORE)) {
        const tool = byName.get(name);
        assert.ok(tool, `${name} is listed (got ${[...byName.keys()].join(", ")})`);
        assert.equal(tool.inputSchema.type, "object", `${name} input schema`);
        for (const param of required) {
          assert.ok(tool.inputSchema.properties?.[param], `${name} has parameter ${param}`);
        }
        assert.ok(tool.description.length > 0, `${name} has a description`);
      }
      listed.set(`${era}/${transport}`, tools.map((t) => t.name).sort());
    });

    test("create_task, get_task and update_task round-trip a task", async () => {
      const title = `ts ${era} ${transport}`;
      const created = await call(client, "create_task", { title, created_by: "ts-client", priority: 3, tags: ["sdk-v2"] });
      assert.equal(created.title, title);
      assert.equal(created.status, "idle");
      assert.equal(created.priority, 3);
      assert.deepEqual(created.tags, ["sdk-v2"]);

      const got = await call(client, "get_task", { id: created.id });
      assert.equal(got.id, created.id);
      assert.equal(got.title, title);

      const result = await client.callTool({
        name: "update_task",
        arguments: { id: created.id, status: "working", assigned_to: "ts-agent", changed_by: "ts-client" },
      });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      const updated = JSON.parse(result.content[0].text);
      assert.equal(updated.status, "working");
      assert.equal(updated.assigned_to, "ts-agent");
      // Both eras carry the answer twice: text for old clients, structuredContent (validated by the SDK).
      assert.deepEqual(result.structuredContent, updated);

      const again = await call(client, "get_task", { id: created.id });
      assert.equal(again.status, "working");
      assert.ok(
        again.history.some((h) => h.field_name === "status" && h.new_value === "working"),
        `history records the status change: ${JSON.stringify(again.history)}`,
      );
    });

    test("a tool error is a result with isError naming what is wrong", async () => {
      const missing = await client.callTool({ name: "get_task", arguments: { id: 987654 } });
      assert.equal(missing.isError, true);
      assert.match(missing.content[0].text, /987654/);

      const invalid = await client.callTool({ name: "update_task", arguments: { id: 1, status: "sideways" } });
      assert.equal(invalid.isError, true);
      assert.match(invalid.content[0].text, /status/);
      assert.match(invalid.content[0].text, /idle/, "names the allowed values");

      const noTitle = await client.callTool({ name: "create_task", arguments: { created_by: "ts-client" } });
      assert.equal(noTitle.isError, true);
      assert.match(noTitle.content[0].text, /title/);
    });

    test("an unknown tool is a JSON-RPC error, not a result", async () => {
      await assert.rejects(
        client.callTool({ name: "no_such_tool", arguments: {} }),
        (error) => {
          assert.match(String(error.message), /no_such_tool/);
          return true;
        },
      );
    });
  });
}

test("every era and transport lists the same tools (one registry)", () => {
  const lists = [...listed.entries()];
  assert.equal(lists.length, COMBINATIONS.length, `tools/list answered in ${lists.map(([k]) => k).join(", ")}`);
  const [[firstKey, first], ...rest] = lists;
  for (const [key, names] of rest) assert.deepEqual(names, first, `${key} vs ${firstKey}`);
});
