//! Helpers shared by the worker tests. Each test binary uses a part.

#![allow(dead_code)]

pub mod runners;

use std::time::Duration;

/// A job message in the job form.
pub fn job_body(entry_id: &str, run_id: Option<&str>) -> Vec<u8> {
    let mut job = serde_json::json!({
        "entry_id": entry_id,
        "distributions": [{"download_url": "http://127.0.0.1:9/none.csv"}]
    });
    if let Some(run_id) = run_id {
        job["run_id"] = serde_json::Value::from(run_id);
    }
    serde_json::to_vec(&job).unwrap_or_default()
}

/// Long enough for anything a test waits for; tests that pass are much
/// quicker.
pub const WAIT: Duration = Duration::from_secs(20);
