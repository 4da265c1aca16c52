//! Per-column inference: type, format and statistics, in one streaming
//! pass and bounded memory.
//!
//! Every reader feeds each cell of a column to one [`ColumnProfiler`] and
//! calls [`ColumnProfiler::finish`] at the end of the source. The type it
//! reports holds for every non-null value seen, so a type-breaking value in
//! the last row still changes it.
//!
//! Layout:
//! - [`types`]: candidate types per column and the final decision.
//! - [`numbers`], [`dates`], [`codes`], [`geo`], [`tokens`]: byte-level
//!   readers of one value (numbers under four separator conventions,
//!   dates under day-/month-first patterns, French and web identifiers,
//!   geopoints and JSON text, null and boolean words).
//! - [`names`]: what a field name suggests (flags, years, codes).
//! - [`stats`], [`hll`], [`hash`]: distinct counts, top values, examples.
//!
//! Sample records carry geopoints as `{"lat": .., "lon": ..}` (see
//! [`typed_cell`]).

mod codes;
mod dates;
mod geo;
mod hash;
mod hashset;
mod hll;
mod names;
mod numbers;
mod stats;
mod tokens;
mod types;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use dataprof_model::{FieldProfile, FieldType, TopValue};
use serde_json::Value;

use hash::hash_bytes;
use names::NameHints;
use stats::{ValueStats, cut};
use tokens::{bool_digit, bool_word, is_null_token, nan_spelling, placeholder_spelling};
use types::TypeState;

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
    hints: NameHints,
    nulls: u64,
    /// Non-null values other than `NaN`.
    values: u64,
    nan_count: u64,
    /// Which spellings of `NaN` were seen (bits from [`nan_spelling`]).
    nan_spellings: u8,
    /// Placeholders (`NC`, `s`, `#DIV/0!`...): nulls if the column turns
    /// out typed, values if it is text.
    placeholders: u64,
    /// Which placeholders were seen (bits from [`placeholder_spelling`]).
    placeholder_spellings: u32,
    types: TypeState,
    stats: ValueStats,
    /// Reused buffer for the text of JSON numbers.
    scratch: String,
    /// Some value came from [`ColumnProfiler::observe_json`]: equal text
    /// then no longer means an equal value (`1` and `"1"`).
    json_values: bool,
}

/// What [`ColumnProfiler::count_value`] made of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// `NaN`, which only narrows the type to numeric-or-string.
    Nan,
    /// A value known to have been seen before: it cannot change the type.
    Repeat,
    Value,
}

impl ColumnProfiler {
    pub fn new(name: impl Into<String>, opts: InferOptions) -> Self {
        let name = name.into();
        ColumnProfiler {
            hints: NameHints::from_name(&name),
            name,
            opts,
            nulls: 0,
            values: 0,
            nan_count: 0,
            nan_spellings: 0,
            placeholders: 0,
            placeholder_spellings: 0,
            types: TypeState::default(),
            stats: ValueStats::new(),
            scratch: String::new(),
            json_values: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A cell of a text source (CSV cell, DBF character field), as written,
    /// already decoded. Null tokens (empty, `NA`, `null`...) count as nulls.
    pub fn observe_text(&mut self, cell: &str) {
        let t = trimmed(cell);
        if is_null_token(t) {
            self.nulls += 1;
            return;
        }
        match self.count_value(cell, t, || Value::String(cell.to_owned())) {
            Counted::Value => self.types.observe_text(t, &self.hints),
            // Every type update is an intersection, a minimum or a maximum:
            // the same text again changes nothing.
            Counted::Repeat if !self.json_values => {}
            Counted::Repeat => self.types.observe_text(t, &self.hints),
            Counted::Nan => {}
        }
    }

    /// A value of a JSON source, after flattening (so never a non-empty
    /// object unless the reader chose to keep it whole). JSON strings are
    /// read for dates, times, geopoints and null tokens, but digits in a
    /// JSON string stay a string: the publisher quoted them.
    pub fn observe_json(&mut self, value: &Value) {
        self.json_values = true;
        match value {
            Value::Null => self.nulls += 1,
            Value::String(s) => {
                let t = s.trim();
                if is_null_token(t) {
                    self.nulls += 1;
                } else if self.count_value(s, t, || Value::String(s.clone())) != Counted::Nan {
                    self.types.observe_json_string(t);
                }
            }
            Value::Bool(b) => {
                let text = if *b { "true" } else { "false" };
                if self.count_value(text, text, || Value::Bool(*b)) != Counted::Nan {
                    self.types.observe_json(value, &self.hints);
                }
            }
            Value::Number(n) => {
                let mut text = std::mem::take(&mut self.scratch);
                text.clear();
                let _ = write!(text, "{n}");
                let counted = self.count_value(&text, &text, || Value::Number(n.clone()));
                self.scratch = text;
                if counted != Counted::Nan {
                    self.types.observe_json(value, &self.hints);
                }
            }
            Value::Array(_) | Value::Object(_) => {
                let text = value.to_string();
                let fits = text.chars().count() <= self.opts.max_example_chars;
                let example = || {
                    if fits {
                        value.clone()
                    } else {
                        Value::String(text.clone())
                    }
                };
                if self.count_value(&text, &text, example) != Counted::Nan {
                    self.types.observe_json(value, &self.hints);
                }
            }
        }
    }

    /// Counts a non-null value in the statistics.
    fn count_value(
        &mut self,
        text: &str,
        trimmed: &str,
        example: impl FnOnce() -> Value,
    ) -> Counted {
        let hash = hash_bytes(text.as_bytes());
        let repeat = self.stats.observe(text, hash, &self.opts);
        if let Some(bit) = nan_spelling(trimmed) {
            self.nan_count += 1;
            self.nan_spellings |= bit;
            self.types.observe_nan();
            return Counted::Nan;
        }
        if let Some(bit) = placeholder_spelling(trimmed) {
            self.placeholders += 1;
            self.placeholder_spellings |= bit;
            return Counted::Nan;
        }
        self.values += 1;
        if repeat {
            // Offered as an example when first seen.
            return Counted::Repeat;
        }
        if self.stats.wants_example(hash, &self.opts) {
            let example = match example() {
                Value::String(s) => Value::String(cut(&s, self.opts.max_example_chars)),
                other => other,
            };
            self.stats.add_example(hash, example);
        }
        Counted::Value
    }

    /// `n` records that lack this field (a JSON key absent, a short row).
    pub fn observe_missing(&mut self, n: u64) {
        self.nulls += n;
    }

    /// Folds in a profiler that saw another part of the same column.
    /// The result is the profiler that would have seen both parts, this
    /// one first.
    pub fn merge(&mut self, other: ColumnProfiler) {
        self.nulls += other.nulls;
        self.values += other.values;
        self.nan_count += other.nan_count;
        self.nan_spellings |= other.nan_spellings;
        self.placeholders += other.placeholders;
        self.placeholder_spellings |= other.placeholder_spellings;
        self.types.merge(&other.types);
        self.stats.merge(other.stats, &self.opts);
    }

    pub fn finish(mut self) -> FieldProfile {
        self.stats.flush(&self.opts);
        let (distinct, estimated) = self.stats.distinct_count();
        // An estimate can overshoot; there are never more distinct values
        // than values.
        let distinct = distinct.min(self.values + self.nan_count + self.placeholders);
        let decision = if self.values == 0 && self.nan_count == 0 && self.placeholders > 0 {
            // Placeholders and nothing else: text.
            let (min, max) = self.stats.string_min_max();
            types::Decision {
                field_type: FieldType::String,
                format: None,
                min: min.map(Value::from),
                max: max.map(Value::from),
            }
        } else {
            self.types.decide(
                &self.hints,
                distinct,
                self.stats.string_min_max(),
                self.values > 0,
                self.nan_count > 0,
            )
        };
        let numeric = matches!(
            decision.field_type,
            FieldType::Integer | FieldType::Number | FieldType::Year
        );
        // Placeholders are nulls where the other values have a type or
        // an identifier format (`NC` among postal codes), values in text.
        let typed = match decision.field_type {
            FieldType::Any => false,
            FieldType::String => decision.format.is_some(),
            _ => true,
        };
        let mut null_count = self.nulls;
        let mut distinct_count = distinct;
        if numeric {
            null_count += self.nan_count;
            distinct_count =
                distinct_count.saturating_sub(u64::from(self.nan_spellings.count_ones()));
        }
        if typed {
            null_count += self.placeholders;
            distinct_count =
                distinct_count.saturating_sub(u64::from(self.placeholder_spellings.count_ones()));
        }
        let format = decision.format.as_deref();
        let top_values = self
            .stats
            .value_counts()
            .filter(|_| {
                distinct_count <= self.opts.top_values_max_cardinality && distinct_count > 0
            })
            .map(|mut counts| {
                counts.retain(|(text, _)| {
                    let t = text.trim();
                    !(numeric && nan_spelling(t).is_some()
                        || typed && placeholder_spelling(t).is_some())
                });
                counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                counts
                    .into_iter()
                    .take(self.opts.top_values)
                    .map(|(text, count)| TopValue {
                        value: typed_text(text, decision.field_type, format),
                        count,
                    })
                    .collect::<Vec<_>>()
            });
        let cut_string = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(Value::String(cut(&s, self.opts.max_example_chars))),
            other => other,
        };
        tracing::debug!(
            field = %self.name,
            field_type = %decision.field_type,
            format = ?decision.format,
            null_count,
            distinct_count,
            distinct_estimated = estimated,
            "field inferred"
        );
        FieldProfile {
            name: self.name,
            field_type: decision.field_type,
            format: decision.format.clone(),
            null_count,
            distinct_count,
            distinct_estimated: estimated,
            min: cut_string(decision.min),
            max: cut_string(decision.max),
            examples: self.stats.examples().cloned().collect(),
            top_values,
        }
    }
}

/// `cell.trim()`, skipped when the first and last bytes are visible ASCII
/// (most cells: then there is nothing to trim).
fn trimmed(cell: &str) -> &str {
    match cell.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => cell,
        [only] if only.is_ascii_graphic() => cell,
        _ => cell.trim(),
    }
}

/// The typed value of a text cell under its field's final type and format,
/// for `sample_records`: `"51,6"` in a decimal-comma number field becomes
/// `51.6`, `"4 257"` `4257`, `"01000"` in a string field stays `"01000"`,
/// dates become ISO `YYYY-MM-DD`, datetimes ISO 8601, booleans `true` /
/// `false`, geopoints `{"lat": .., "lon": ..}`, GeoJSON, object and array
/// text parsed JSON, and a null token `null`. A cell that does not read
/// under the field's type (which a profiled column never holds) is kept
/// as text.
pub fn typed_cell(cell: &str, field: &FieldProfile) -> Value {
    typed_text(cell, field.field_type, field.format.as_deref())
}

/// The typed value of a JSON source's value under its field's final type,
/// for `sample_records`: strings read as [`typed_cell`] reads text (so
/// `"NA"` is `null` and `"28/09/2018"` in a date field `"2018-09-28"`), a
/// `[lat, lon]` array in a geopoint field `{"lat": .., "lon": ..}`, any
/// other value unchanged.
pub fn typed_json(value: &Value, field: &FieldProfile) -> Value {
    match value {
        Value::String(s) => typed_cell(s, field),
        Value::Array(items) if field.field_type == FieldType::Geopoint => {
            match geo::geopoint_array(items) {
                Some((lat, lon)) => geo::geopoint_value(lat, lon),
                None => value.clone(),
            }
        }
        other => other.clone(),
    }
}

fn typed_text(cell: &str, field_type: FieldType, format: Option<&str>) -> Value {
    let t = cell.trim();
    if is_null_token(t) {
        return Value::Null;
    }
    let typed = match field_type {
        FieldType::Any => false,
        FieldType::String => format.is_some(),
        _ => true,
    };
    if typed && placeholder_spelling(t).is_some() {
        return Value::Null;
    }
    let typed = match field_type {
        FieldType::Integer | FieldType::Number | FieldType::Year => {
            if nan_spelling(t).is_some() {
                return Value::Null;
            }
            let format = if field_type == FieldType::Year {
                None
            } else {
                format
            };
            numbers::typed_number(t, format, field_type != FieldType::Number)
        }
        FieldType::Boolean => bool_word(t).or_else(|| bool_digit(t)).map(Value::Bool),
        FieldType::Date => format.and_then(|f| dates::typed_date(t, f)),
        FieldType::Datetime => format.and_then(|f| dates::typed_datetime(t, f)),
        FieldType::Time => dates::typed_time(t),
        FieldType::Geopoint => typed_geopoint(t),
        FieldType::Geojson | FieldType::Object | FieldType::Array => serde_json::from_str(t).ok(),
        FieldType::String | FieldType::Any => None,
    };
    typed.unwrap_or_else(|| Value::String(cell.to_owned()))
}

fn typed_geopoint(t: &str) -> Option<Value> {
    let (lat, lon) = if t.starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(t).ok()?;
        geo::geopoint_array(&items)?
    } else {
        geo::read_geopoint(t)?
    };
    Some(geo::geopoint_value(lat, lon))
}
