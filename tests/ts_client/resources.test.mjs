// Resources through the TypeScript SDK v2 client, in both eras over Streamable HTTP and stdio: the catalog
// (resources/list, resources/templates/list), reading a concrete resource and a templated one, and a
// missing resource. The wire code of "not found" differs by era (legacy -32002, modern -32602, both with
// data.uri: era-contract.md), but this SDK reconstructs either as its ResourceNotFoundError, and only when
// data.uri is there: that is what an application sees, so that is what is checked here (the raw codes are
// checked on the wire by the Rust and Python HTTP tests).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ResourceNotFoundError } from "@modelcontextprotocol/client";
import { Board, COMBINATIONS, call } from "./support.mjs";

let board;
before(async () => { board = await Board.open(); });
after(async () => { await board?.close(); });

/** The JSON body of a resources/read answer's only content. */
function readJson(result, uri) {
  assert.equal(result.contents.length, 1, `${uri}: one content`);
  const [content] = result.contents;
  assert.equal(content.uri, uri);
  assert.equal(content.mimeType, "application/json");
  return JSON.parse(content.text);
}

for (const { era, transport } of COMBINATIONS) {
  describe(`${era} era over ${transport}`, () => {
    let client;
    let task;
    before(async () => {
      client = await board.connect(era, transport);
      task = await call(client, "create_task", { title: `resource ${era} ${transport}`, created_by: "ts-client" });
    });
    after(async () => { await client?.close(); });

    test("resources/list and resources/templates/list advertise the catalog", async () => {
      assert.ok(client.getServerCapabilities()?.resources, "resources capability declared");
      const { resources } = await client.listResources();
      const uris = resources.map((r) => r.uri);
      for (const uri of ["tasks://active", "tasks://archived", "queue://list"]) {
        assert.ok(uris.includes(uri), `${uri} is listed (got ${uris.join(", ")})`);
      }
      for (const r of resources) assert.ok(r.name && r.mimeType, `${r.uri} has a name and a mime type`);
      const { resourceTemplates } = await client.listResourceTemplates();
      const templates = resourceTemplates.map((t) => t.uriTemplate);
      for (const template of ["task://{id}", "queue://{agent_name}"]) {
        assert.ok(templates.includes(template), `${template} is listed (got ${templates.join(", ")})`);
      }
    });

    test("reading tasks://active and task://{id} returns the task just created", async () => {
      const active = readJson(await client.readResource({ uri: "tasks://active" }), "tasks://active");
      assert.ok(
        active.tasks.some((t) => t.id === task.id && t.title === task.title),
        `tasks://active contains task ${task.id}`,
      );
      const uri = `task://${task.id}`;
      const one = readJson(await client.readResource({ uri }), uri);
      assert.equal(one.id, task.id);
      assert.equal(one.title, task.title);
    });

    test("a missing resource is the SDK's ResourceNotFoundError naming the URI", async () => {
      const uri = "task://987654";
      await assert.rejects(client.readResource({ uri }), (error) => {
        assert.ok(error instanceof ResourceNotFoundError, `ResourceNotFoundError, got ${error.name} ${error.code}: ${error.message}`);
        assert.equal(error.uri, uri);
        assert.match(error.message, /987654/);
        return true;
      });
    });
  });
}
