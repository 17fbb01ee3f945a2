// Prompts through the TypeScript SDK v2 client, in both eras over Streamable HTTP and stdio (issue 13 §2):
// prompts/list names the agent-workflow prompts with their arguments, prompts/get renders one with the
// caller's arguments, and a missing required argument is an error. A server that does not declare the
// prompts capability skips these with that reason (prompts land separately from the era work).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Board, COMBINATIONS } from "./support.mjs";

/** Prompt name → [required arguments, optional arguments] (issue 13 §2). */
const PROMPTS = {
  work_queue: [["agent_name"], ["queue_name"]],
  hand_off: [["task_id", "to_agent"], []],
  triage: [["queue_name"], []],
};

let board;
before(async () => { board = await Board.open(); });
after(async () => { await board?.close(); });

for (const { era, transport } of COMBINATIONS) {
  describe(`${era} era over ${transport}`, () => {
    let client;
    before(async () => { client = await board.connect(era, transport); });
    after(async () => { await client?.close(); });

    const skipUnlessDeclared = (t) => {
      if (client.getServerCapabilities()?.prompts) return false;
      t.skip("the server does not declare the prompts capability");
      return true;
    };

    test("prompts/list names the workflow prompts and their arguments", async (t) => {
      if (skipUnlessDeclared(t)) return;
      const { prompts } = await client.listPrompts();
      const byName = new Map(prompts.map((p) => [p.name, p]));
      for (const [name, [required, optional]] of Object.entries(PROMPTS)) {
        const prompt = byName.get(name);
        assert.ok(prompt, `${name} is listed (got ${[...byName.keys()].join(", ")})`);
        assert.ok(prompt.description, `${name} has a description`);
        const args = new Map((prompt.arguments ?? []).map((a) => [a.name, a]));
        for (const a of required) assert.equal(args.get(a)?.required, true, `${name}.${a} is required`);
        for (const a of optional) {
          assert.ok(args.has(a), `${name} has argument ${a}`);
          assert.notEqual(args.get(a).required, true, `${name}.${a} is optional`);
        }
      }
    });

    test("prompts/get work_queue renders the loop for the named agent", async (t) => {
      if (skipUnlessDeclared(t)) return;
      const agent = `ts-agent-${era}-${transport}`;
      const result = await client.getPrompt({ name: "work_queue", arguments: { agent_name: agent } });
      assert.ok(result.messages.length > 0, "at least one message");
      const text = result.messages.map((m) => m.content?.text ?? "").join("\n");
      assert.ok(text.includes(agent), "names the agent it was rendered for");
      for (const tool of ["wait_for_task", "add_comment"]) {
        assert.ok(text.includes(tool), `names the ${tool} tool`);
      }
    });

    test("prompts/get without a required argument is an error naming it", async (t) => {
      if (skipUnlessDeclared(t)) return;
      await assert.rejects(client.getPrompt({ name: "work_queue", arguments: {} }), (error) => {
        assert.equal(error.code, -32602, `${error.code}: ${error.message}`);
        assert.match(error.message, /agent_name/);
        return true;
      });
      await assert.rejects(client.getPrompt({ name: "no_such_prompt", arguments: {} }), (error) => {
        assert.equal(error.code, -32602, `${error.code}: ${error.message}`);
        assert.match(error.message, /no_such_prompt/);
        return true;
      });
    });
  });
}
