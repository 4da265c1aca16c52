//! The whole path a worker takes: `profile_path` on arbitrary bytes.

#![no_main]

mod common;

use dataprof_profiler::profile_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::input_file(data);
    match profile_path(&path, &common::options()) {
        Ok(profile) => {
            assert_eq!(profile.field_count, profile.fields.len());
            assert!(profile.sample_records.len() as u64 <= profile.record_count);
        }
        Err(err) => common::check_error(&err),
    }
});
