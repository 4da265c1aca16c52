//! `sniff::sniff` and `encoding::detect` on raw bytes: no panic, and the two
//! agree on what they can both see.

#![no_main]

use dataprof_profiler::{encoding, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = &data[..data.len().min(dataprof_profiler::SNIFF_LEN)];
    let sniffed = sniff::sniff(head);
    let detected = encoding::detect(data);
    assert!(!detected.label.is_empty());
    assert!(detected.bom_len <= data.len());
    if let sniff::Sniffed::NotData { detected, reason } = sniffed {
        assert!(!detected.is_empty() && !reason.is_empty());
        assert!(!reason.contains('\n'), "a reason is one line: {reason:?}");
    }
    let reader = encoding::detect_reader(data).expect("reading a slice cannot fail");
    assert_eq!(reader, detected, "streaming and in-memory detection differ");
});
