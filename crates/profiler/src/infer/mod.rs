//! Per-column inference: type, format and statistics, in one streaming
//! pass and bounded memory.
//!
//! Every reader feeds each cell of a column to one [`ColumnProfiler`] and
//! calls [`ColumnProfiler::finish`] at the end of the source. The type it
//! reports holds for every non-null value seen, so a type-breaking value in
//! the last row still changes it.
//!
//! Placeholder: this version reports every field as `string`; the full
//! inference replaces the internals, not the interface.

use std::collections::HashMap;

use dataprof_model::{FieldProfile, FieldType};
use serde_json::Value;

/// Bounds on what a column keeps in memory.
#[derive(Debug, Clone)]
pub struct InferOptions {
    /// Distinct values counted exactly; past this the count is estimated.
    pub distinct_cap: usize,
    /// Entries in `top_values`.
    pub top_values: usize,
    /// A field gets `top_values` only with at most this many distinct values.
    pub top_values_max_cardinality: u64,
    /// Entries in `examples`.
    pub examples: usize,
    /// Characters kept of an example value.
    pub max_example_chars: usize,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions {
            distinct_cap: 10_000,
            top_values: 10,
            top_values_max_cardinality: 50,
            examples: 5,
            max_example_chars: 200,
        }
    }
}

/// Accumulates what one column's values say about it.
#[derive(Debug, Clone)]
pub struct ColumnProfiler {
    name: String,
    opts: InferOptions,
    nulls: u64,
    counts: HashMap<String, u64>,
    examples: Vec<Value>,
}

impl ColumnProfiler {
    pub fn new(name: impl Into<String>, opts: InferOptions) -> Self {
        ColumnProfiler {
            name: name.into(),
            opts,
            nulls: 0,
            counts: HashMap::new(),
            examples: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A cell of a text source (CSV cell, DBF character field), as written,
    /// already decoded. Null tokens (empty, `NA`, `null`...) count as nulls.
    pub fn observe_text(&mut self, cell: &str) {
        if cell.trim().is_empty() {
            self.nulls += 1;
            return;
        }
        self.count(cell);
    }

    /// A value of a JSON source, after flattening (so never a non-empty
    /// object unless the reader chose to keep it whole). JSON strings are
    /// read for dates, times, geopoints and null tokens, but digits in a
    /// JSON string stay a string: the publisher quoted them.
    pub fn observe_json(&mut self, value: &Value) {
        match value {
            Value::Null => self.nulls += 1,
            Value::String(s) => self.observe_text(s),
            other => self.count(&other.to_string()),
        }
    }

    /// `n` records that lack this field (a JSON key absent, a short row).
    pub fn observe_missing(&mut self, n: u64) {
        self.nulls += n;
    }

    /// Folds in a profiler that saw another part of the same column.
    pub fn merge(&mut self, other: ColumnProfiler) {
        self.nulls += other.nulls;
        for (value, count) in other.counts {
            *self.counts.entry(value).or_default() += count;
        }
        for example in other.examples {
            if self.examples.len() < self.opts.examples && !self.examples.contains(&example) {
                self.examples.push(example);
            }
        }
    }

    pub fn finish(self) -> FieldProfile {
        let min = self.counts.keys().min().cloned().map(Value::String);
        let max = self.counts.keys().max().cloned().map(Value::String);
        FieldProfile {
            name: self.name,
            field_type: if self.counts.is_empty() {
                FieldType::Any
            } else {
                FieldType::String
            },
            format: None,
            null_count: self.nulls,
            distinct_count: self.counts.len() as u64,
            distinct_estimated: false,
            min,
            max,
            examples: self.examples,
            top_values: None,
        }
    }

    fn count(&mut self, value: &str) {
        let n = self.counts.entry(value.to_owned()).or_default();
        *n += 1;
        if *n == 1 && self.examples.len() < self.opts.examples {
            self.examples.push(Value::String(value.to_owned()));
        }
    }
}

/// The typed value of a text cell under its field's final type and format,
/// for `sample_records`: `"51,6"` in a decimal-comma number field becomes
/// `51.6`, `"01000"` in a string field stays `"01000"`, a null token `null`.
pub fn typed_cell(cell: &str, field: &FieldProfile) -> Value {
    let _ = field;
    if cell.trim().is_empty() {
        Value::Null
    } else {
        Value::String(cell.to_owned())
    }
}
