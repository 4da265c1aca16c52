//! The table that JSON records add up to: the union of their (flattened)
//! keys, one [`ColumnProfiler`] per key, the exact record count and the
//! first records as samples.
//!
//! Records need not share keys (Opendatasoft omits empty ones), so a field
//! first seen at record k is told that the k-1 records before lacked it,
//! and a record without a known field counts as a missing value for it.

use std::collections::{HashMap, HashSet};

use dataprof_model::{FieldProfile, FieldType, Record};
use serde_json::Value;

use serde::Deserializer;
use serde::de::DeserializeSeed;

use super::flat::{Element, ElementInto, FlatRecord, Leaf};
use super::flatten::sample_cell;
use super::rows::{RowLayout, RowMode};
use super::walk::RecordSink;
use crate::infer::{ColumnProfiler, InferOptions};
use crate::{ProfileError, ProfileOptions};

struct Column {
    profiler: ColumnProfiler,
    /// The 1-based number of the last record that held this field.
    last_record: u64,
}

/// Fields, counts and samples of a stream of records.
pub(crate) struct RecordTable {
    columns: Vec<Column>,
    index: HashMap<String, usize>,
    records: u64,
    samples: Vec<Vec<(usize, Value)>>,
    sample_size: usize,
    max_fields: usize,
    max_cell_chars: usize,
    infer: InferOptions,
    /// Cells dropped because their flattened name repeated one already in
    /// the record (`{"a.b":1,"a":{"b":2}}`).
    repeated_names: u64,
    /// The column of each cell of the previous record, in order.
    layout: Vec<usize>,
    /// A reused string value, for string cells.
    text_cell: Value,
}

/// What a [`RecordTable`] adds up to.
pub(crate) struct TableOutcome {
    pub record_count: u64,
    pub fields: Vec<FieldProfile>,
    pub samples: Vec<Record>,
    pub warnings: Vec<String>,
}

impl RecordTable {
    pub fn new(opts: &ProfileOptions) -> RecordTable {
        RecordTable {
            columns: Vec::new(),
            index: HashMap::new(),
            records: 0,
            samples: Vec::new(),
            sample_size: opts.sample_size,
            max_fields: opts.limits.max_fields,
            max_cell_chars: opts.limits.max_sample_cell_chars,
            infer: opts.infer.clone(),
            repeated_names: 0,
            layout: Vec::new(),
            text_cell: Value::String(String::new()),
        }
    }

    pub fn record_count(&self) -> u64 {
        self.records
    }

    /// Adds one record (a JSON object).
    #[cfg(test)]
    pub fn add(&mut self, record: serde_json::Map<String, Value>) -> Result<(), ProfileError> {
        let mut flat = FlatRecord::default();
        flat.fill_from_map(record);
        self.add_flat(&flat)
    }

    /// Registers fields named before any record gives them a value (a
    /// table's header row), in that order; names already known are kept
    /// where they are.
    pub fn declare(&mut self, names: &[String]) -> Result<(), ProfileError> {
        for name in names {
            if !self.index.contains_key(name) {
                self.new_column(name, self.records + 1)?;
            }
        }
        Ok(())
    }

    /// Adds one record, read into `record`.
    pub fn add_flat(&mut self, record: &FlatRecord) -> Result<(), ProfileError> {
        self.records += 1;
        let n = self.records;
        let keep_sample = self.samples.len() < self.sample_size;
        let mut sample = Vec::new();
        let mut present = 0usize;
        for (position, (name, leaf)) in record.cells().enumerate() {
            let i = match self.column_at(position, name) {
                Some(i) => i,
                None => self.new_column(name, n)?,
            };
            if let Some(slot) = self.layout.get_mut(position) {
                *slot = i;
            } else {
                self.layout.push(i);
            }
            let column = &mut self.columns[i];
            if column.last_record == n {
                self.repeated_names += 1;
                continue;
            }
            column.last_record = n;
            present += 1;
            match leaf {
                Leaf::Text(range) => {
                    let text = record.text(range);
                    if let Value::String(reused) = &mut self.text_cell {
                        reused.clear();
                        reused.push_str(text);
                    } else {
                        self.text_cell = Value::String(text.to_owned());
                    }
                    column.profiler.observe_json(&self.text_cell);
                }
                Leaf::Null => column.profiler.observe_json(&Value::Null),
                Leaf::Bool(b) => column.profiler.observe_json(&Value::Bool(*b)),
                Leaf::Number(num) => column.profiler.observe_json(&Value::Number(num.clone())),
                Leaf::Whole(value) => column.profiler.observe_json(value),
            }
            if keep_sample {
                sample.push((i, sample_cell(record.value(leaf), self.max_cell_chars)));
            }
        }
        if present < self.columns.len() {
            for column in &mut self.columns {
                if column.last_record != n {
                    column.profiler.observe_missing(1);
                }
            }
        }
        if keep_sample {
            self.samples.push(sample);
        }
        Ok(())
    }

    /// The column named `name`: first the one at the same position in the
    /// previous record (records mostly repeat their keys in order), then
    /// by name.
    fn column_at(&self, position: usize, name: &str) -> Option<usize> {
        let guess = self.layout.get(position).copied();
        if let Some(i) = guess
            && self
                .columns
                .get(i)
                .is_some_and(|c| c.profiler.name() == name)
        {
            return Some(i);
        }
        self.index.get(name).copied()
    }

    /// Registers a field first seen in record `n`: the records before it
    /// lacked it.
    fn new_column(&mut self, name: &str, n: u64) -> Result<usize, ProfileError> {
        if self.columns.len() >= self.max_fields {
            return Err(ProfileError::limit(
                "json",
                format!(
                    "more than {} fields (record {n} adds `{name}`)",
                    self.max_fields
                ),
            ));
        }
        let mut profiler = ColumnProfiler::new(name, self.infer.clone());
        if n > 1 {
            profiler.observe_missing(n - 1);
        }
        let i = self.columns.len();
        self.index.insert(name.to_owned(), i);
        self.columns.push(Column {
            profiler,
            last_record: 0,
        });
        Ok(i)
    }

    /// Folds in the table of the records that follow this table's: the
    /// result is the table that would have seen both streams, this one
    /// first (fields in order of first appearance, samples from the start).
    pub fn merge(&mut self, next: RecordTable) -> Result<(), ProfileError> {
        let before = self.records;
        let mut remap = Vec::with_capacity(next.columns.len());
        let mut seen = vec![false; self.columns.len()];
        for column in next.columns {
            let name = column.profiler.name();
            match self.index.get(name) {
                Some(&i) => {
                    self.columns[i].profiler.merge(column.profiler);
                    seen[i] = true;
                    remap.push(i);
                }
                None => {
                    if self.columns.len() >= self.max_fields {
                        return Err(ProfileError::limit(
                            "json",
                            format!("more than {} fields (adds `{name}`)", self.max_fields),
                        ));
                    }
                    let mut profiler = column.profiler;
                    profiler.observe_missing(before);
                    let i = self.columns.len();
                    self.index.insert(profiler.name().to_owned(), i);
                    self.columns.push(Column {
                        profiler,
                        last_record: 0,
                    });
                    remap.push(i);
                }
            }
        }
        for (column, seen) in self.columns.iter_mut().zip(seen) {
            if !seen {
                column.profiler.observe_missing(next.records);
            }
            column.last_record = 0;
        }
        let room = self.sample_size.saturating_sub(self.samples.len());
        for sample in next.samples.into_iter().take(room) {
            let cells = sample
                .into_iter()
                .filter_map(|(i, v)| remap.get(i).map(|&j| (j, v)))
                .collect();
            self.samples.push(cells);
        }
        self.records += next.records;
        self.repeated_names += next.repeated_names;
        Ok(())
    }

    pub fn finish(self) -> TableOutcome {
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|c| c.profiler.name().to_owned())
            .collect();
        let samples = self
            .samples
            .into_iter()
            .map(|mut cells| {
                cells.sort_by_key(|(i, _)| *i);
                cells
                    .into_iter()
                    .map(|(i, v)| (names[i].clone(), v))
                    .collect::<Record>()
            })
            .collect();
        let mut warnings = Vec::new();
        if self.repeated_names > 0 {
            warnings.push(format!(
                "{} values were dropped because their flattened name repeated another key of the same record",
                self.repeated_names
            ));
        }
        let mut fields: Vec<FieldProfile> = self
            .columns
            .into_iter()
            .map(|c| c.profiler.finish())
            .collect();
        let mut samples: Vec<Record> = samples;
        drop_null_parents(&mut fields, &mut samples);
        TableOutcome {
            record_count: self.records,
            fields,
            samples,
            warnings,
        }
    }
}

/// Drops a field that is null wherever it is present when its non-null
/// values were objects flattened into dotted fields (`adresse` beside
/// `adresse.rue`): those fields already count its nulls as theirs, and an
/// always-null `adresse` would claim the member is always empty.
fn drop_null_parents(fields: &mut Vec<FieldProfile>, samples: &mut [Record]) {
    let parents: HashSet<&str> = fields
        .iter()
        .flat_map(|f| {
            f.name
                .match_indices('.')
                .map(|(at, _)| &f.name[..at])
                .collect::<Vec<_>>()
        })
        .collect();
    let dropped: Vec<String> = fields
        .iter()
        .filter(|f| f.field_type == FieldType::Any && parents.contains(f.name.as_str()))
        .map(|f| f.name.clone())
        .collect();
    if dropped.is_empty() {
        return;
    }
    fields.retain(|f| !dropped.contains(&f.name));
    for sample in samples {
        for name in &dropped {
            sample.remove(name);
        }
    }
}

/// What to do with array elements that are not objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonObjects {
    /// Refuse the source when the very first element is not an object (a
    /// top-level array of numbers is not a table); skip later ones.
    RefuseIfFirst,
    /// Skip them, counted in a warning.
    Skip,
}

/// A [`RecordSink`] for plain records (JSON arrays, wrapped arrays, NDJSON).
pub(crate) struct RecordsCollector {
    table: RecordTable,
    policy: NonObjects,
    skipped: u64,
    first_skipped: Option<&'static str>,
    /// The element being read, and what it is.
    flat: FlatRecord,
    pending: Option<Element>,
    rows: RowLayout,
    /// The rows' names are fields of the table (see [`RecordTable::declare`]).
    names_declared: bool,
}

impl RecordsCollector {
    pub fn new(opts: &ProfileOptions, policy: NonObjects) -> RecordsCollector {
        RecordsCollector {
            table: RecordTable::new(opts),
            policy,
            skipped: 0,
            first_skipped: None,
            flat: FlatRecord::default(),
            pending: None,
            rows: RowLayout::new(RowMode::Off),
            names_declared: false,
        }
    }

    /// Reads elements that are arrays as rows of a table, as `rows` says.
    pub fn with_rows(mut self, rows: RowLayout) -> RecordsCollector {
        self.rows = rows;
        self
    }

    /// How arrays are read, for the collector of a later part.
    pub fn rows(&self) -> &RowLayout {
        &self.rows
    }

    /// Whether no element has been taken in yet.
    fn at_first(&self) -> bool {
        self.table.record_count() == 0 && self.skipped == 0 && !self.rows.is_on()
    }

    pub fn finish(self) -> TableOutcome {
        let mut outcome = self.table.finish();
        self.rows.warnings(&mut outcome.warnings);
        if let Some(kind) = self.first_skipped {
            let wanted = if self.rows.is_on() {
                "arrays (rows)"
            } else {
                "objects"
            };
            outcome.warnings.push(format!(
                "{} elements are not {wanted} and were skipped (the first is {kind})",
                self.skipped
            ));
        }
        outcome
    }
}

impl RecordsCollector {
    /// Folds in the collector of the elements that follow this one's.
    pub fn merge(&mut self, next: RecordsCollector) -> Result<(), ProfileError> {
        self.table.merge(next.table)?;
        self.rows.merge(&next.rows);
        self.skipped += next.skipped;
        if self.first_skipped.is_none() {
            self.first_skipped = next.first_skipped;
        }
        Ok(())
    }
}

impl RecordsCollector {
    /// An element that is not an object, of kind `kind`.
    fn not_a_record(&mut self, kind: &'static str) -> Result<(), ProfileError> {
        // A leading null is a gap, not a sign that the array is no table.
        if self.policy == NonObjects::RefuseIfFirst && self.at_first() && kind != "null" {
            return Err(ProfileError::unsupported(
                "json",
                format!("a JSON array of {kind}s, not of records (objects)"),
            ));
        }
        self.skipped += 1;
        self.first_skipped.get_or_insert(kind);
        Ok(())
    }
}

impl RecordSink for RecordsCollector {
    fn accept(&mut self, value: Value) -> Result<(), ProfileError> {
        match value {
            Value::Array(items) if self.rows.reads_rows(self.at_first()).is_some() => {
                let cells = items.len();
                self.flat.fill_from_row(items, self.rows.names());
                self.add_row(cells)
            }
            Value::Object(record) if !self.rows.is_on() => {
                self.rows.settle_on_records();
                self.flat.fill_from_map(record);
                self.table.add_flat(&self.flat)
            }
            other => self.not_a_record(kind_of(&other)),
        }
    }

    fn read<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        let first = self.at_first();
        let element = ElementInto {
            flat: &mut self.flat,
            rows: self.rows.reads_rows(first),
        };
        self.pending = Some(element.deserialize(deserializer)?);
        Ok(())
    }

    fn commit(&mut self) -> Result<(), ProfileError> {
        match self.pending.take() {
            Some(Element::Object) if self.rows.is_on() => self.not_a_record("object"),
            Some(Element::Object) => {
                self.rows.settle_on_records();
                self.table.add_flat(&self.flat)
            }
            Some(Element::Row(cells)) => self.add_row(cells),
            Some(Element::Other(kind)) => self.not_a_record(kind),
            None => Ok(()),
        }
    }
}

impl RecordsCollector {
    /// A row just read into the flat record: a record, or the header.
    fn add_row(&mut self, cells: usize) -> Result<(), ProfileError> {
        let is_record = self.rows.take(&self.flat, cells);
        if !self.names_declared {
            // The header's fields exist even where no row fills them (a
            // table of a header alone, short rows).
            self.names_declared = true;
            self.table.declare(self.rows.names())?;
        }
        if is_record {
            self.table.add_flat(&self.flat)
        } else {
            Ok(())
        }
    }
}

/// `a number`-style name of a JSON value's kind, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn add(table: &mut RecordTable, v: Value) {
        let Value::Object(m) = v else {
            panic!("test records are objects")
        };
        table.add(m).expect("within limits");
    }

    #[test]
    fn union_of_keys_in_order_with_missing_counted() {
        let mut t = RecordTable::new(&ProfileOptions::default());
        add(&mut t, json!({"a": 1, "b": {"c": "x"}}));
        add(&mut t, json!({"a": 2, "d": true}));
        add(&mut t, json!({"d": false, "a": null, "b": {"c": "y"}}));
        let out = t.finish();
        assert_eq!(out.record_count, 3);
        let names: Vec<&str> = out.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b.c", "d"]);
        let nulls: Vec<u64> = out.fields.iter().map(|f| f.null_count).collect();
        // a: one JSON null; b.c: absent from record 2; d: absent from record 1.
        assert_eq!(nulls, [1, 1, 1]);
        assert_eq!(out.samples.len(), 3);
        let keys: Vec<&String> = out.samples[2].keys().collect();
        assert_eq!(keys, ["a", "b.c", "d"], "samples follow field order");
        assert_eq!(out.samples[1].get("d"), Some(&json!(true)));
    }

    #[test]
    fn samples_are_bounded_and_cut() {
        let mut opts = ProfileOptions {
            sample_size: 2,
            ..ProfileOptions::default()
        };
        opts.limits.max_sample_cell_chars = 4;
        let mut t = RecordTable::new(&opts);
        for i in 0..5 {
            add(&mut t, json!({"s": format!("value-{i}")}));
        }
        let out = t.finish();
        assert_eq!(out.record_count, 5);
        assert_eq!(out.samples.len(), 2);
        assert_eq!(out.samples[1].get("s"), Some(&json!("valu…")));
    }

    #[test]
    fn field_limit_is_an_error() {
        let mut opts = ProfileOptions::default();
        opts.limits.max_fields = 2;
        let mut t = RecordTable::new(&opts);
        add(&mut t, json!({"a": 1, "b": 2}));
        let Value::Object(m) = json!({"c": 3}) else {
            panic!()
        };
        let err = t.add(m).expect_err("third field");
        assert!(err.to_string().contains("more than 2 fields"), "{err}");
    }

    #[test]
    fn repeated_flattened_names_are_dropped_and_reported() {
        let mut t = RecordTable::new(&ProfileOptions::default());
        add(&mut t, json!({"a.b": 1, "a": {"b": 2}}));
        let out = t.finish();
        assert_eq!(out.fields.len(), 1);
        assert_eq!(out.samples[0].get("a.b"), Some(&json!(1)));
        assert_eq!(out.warnings.len(), 1);
    }

    #[test]
    fn collector_refuses_arrays_of_scalars_but_skips_strays() {
        let opts = ProfileOptions::default();
        let mut c = RecordsCollector::new(&opts, NonObjects::RefuseIfFirst);
        let err = c.accept(json!(1)).expect_err("scalar first");
        assert!(err.to_string().contains("array of numbers"), "{err}");
        let mut c = RecordsCollector::new(&opts, NonObjects::RefuseIfFirst);
        c.accept(json!({"a": 1})).expect("record");
        c.accept(json!("stray")).expect("skipped");
        let out = c.finish();
        assert_eq!(out.record_count, 1);
        assert!(out.warnings[0].starts_with("1 elements are not objects"));
    }
}
