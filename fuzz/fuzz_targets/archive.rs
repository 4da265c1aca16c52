//! The zip and gzip readers straight on arbitrary bytes. The first byte
//! picks the reader, so both get every mutation.

#![no_main]

mod common;

use dataprof_profiler::formats::archive;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = common::input_file(bytes);
    let opts = common::options();
    let outcome = if selector & 1 == 0 {
        archive::profile_zip(&path, &opts, 0)
    } else {
        archive::profile_gzip(&path, &opts, 0)
    };
    match outcome {
        Ok(profile) => assert_eq!(profile.field_count, profile.fields.len()),
        Err(err) => common::check_error(&err),
    }
});
