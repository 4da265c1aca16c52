//! The JSON reader (arrays, wrapped records, NDJSON, GeoJSON) straight on
//! arbitrary bytes.

#![no_main]

mod common;

use dataprof_profiler::formats::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::input_file(data);
    match json::profile(&path, &common::options()) {
        Ok(profile) => {
            assert_eq!(profile.field_count, profile.fields.len());
            assert!(profile.sample_records.len() as u64 <= profile.record_count);
        }
        Err(err) => common::check_error(&err),
    }
});
