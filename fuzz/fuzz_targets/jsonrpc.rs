//! Target 1: the JSON-RPC decoder and the stdio line framing.
//! Input: arbitrary bytes. They are decoded as one JSON value (and each element of a batch) by
//! `tinytask::mcp::jsonrpc::decode`, then fed as stdin to the stdio transport (`serve_io`), whose every
//! output line must be one JSON-RPC message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tinytask_fuzz::decode(data);
    tinytask_fuzz::harness().stdio(data);
});
