//! The mock's request reader: method, path, query, headers and body into
//! an answer; see `openai_rest_mock::fuzzing::check_request` for the input
//! and what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    openai_rest_mock::fuzzing::check_request(data);
});
