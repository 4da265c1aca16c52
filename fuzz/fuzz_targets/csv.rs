//! The CSV reader straight on arbitrary bytes (no sniffing first): a
//! profile or an error, never a panic.

#![no_main]

mod common;

use dataprof_profiler::formats::csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::input_file(data);
    match csv::profile(&path, &common::options()) {
        Ok(profile) => {
            assert_eq!(profile.field_count, profile.fields.len());
            assert!(profile.sample_records.len() as u64 <= profile.record_count);
        }
        Err(err) => common::check_error(&err),
    }
});
