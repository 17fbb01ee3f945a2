//! Target 2: tool-argument decoding and the whole engine.
//! Input: byte 0 selects the tool (sorted tool names, index `b % n` for n tools) and the protocol version
//! of the session (`(b / n) % 3`: 2025-11-25, 2025-03-26, 2024-11-05); the remaining bytes, when they are JSON,
//! are the `arguments` of a `tools/call` run by `Engine::handle_value` on an initialized session against a
//! temporary SQLite database shared by the whole process.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tinytask_fuzz::harness().tool_call(data);
});
