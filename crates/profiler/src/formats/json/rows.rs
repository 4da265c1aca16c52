//! Tables written as arrays of arrays: `[["nom", "age"], ["Ana", 31]]`
//! (spreadsheet exports, `pandas` `orient="values"`, Google Sheets
//! `values`), JSON Lines of arrays (one row per line), and Socrata's `rows.json`, whose `data` rows are named by the
//! `meta.view.columns` list that comes before them.
//!
//! A row's cells are named by position: from the column list when the
//! document has one, else from a first row of distinct, non-empty strings
//! (the header), else `column0`, `column1`… as for a CSV file without a
//! header. Like a CSV header, a first row of text is taken as the header
//! even when every row is text: a table of names alone cannot tell.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use serde_json::Value;

use super::flat::{FlatRecord, Leaf};
use super::walk::{ShortText, scalars_are};

/// Column names kept from a document's own column list at most; a longer
/// list is ignored (the rows are then named by position).
const MAX_LISTED_COLUMNS: usize = 10_000;

/// Whether the elements that are arrays are rows of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowMode {
    /// Arrays are not records (NDJSON, arrays of objects).
    Off,
    /// The first element decides: an array makes the whole array a table
    /// of rows.
    IfFirst,
    On,
}

/// Where the names of a row's cells come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// Not known until the first row is read.
    Undecided,
    /// The document's own column list.
    Listed,
    /// The first row, which is not a record.
    FirstRow,
    /// No names: `columnN`.
    Absent,
}

/// How the arrays of a records array are read, and what was seen of them.
#[derive(Debug)]
pub(crate) struct RowLayout {
    mode: RowMode,
    header: Header,
    /// Names by position.
    names: Vec<String>,
    /// Cells the header (or the first row) has.
    width: usize,
    /// Rows with more or fewer cells than that.
    ragged: u64,
    /// The next row is the header, already read: not a record.
    skip_next: bool,
}

impl RowLayout {
    pub fn new(mode: RowMode) -> RowLayout {
        RowLayout {
            mode,
            header: Header::Undecided,
            names: Vec::new(),
            width: 0,
            ragged: 0,
            skip_next: false,
        }
    }

    /// Rows whose header is decided from the first row, already parsed
    /// (an NDJSON file, whose later parts are read apart from the first):
    /// that row is not a record when it is the header.
    pub fn from_first_row(items: &[Value]) -> RowLayout {
        let mut flat = FlatRecord::default();
        flat.fill_from_row(items.to_vec(), &[]);
        let mut layout = RowLayout::new(RowMode::On);
        layout.width = items.len();
        match header_names(&flat, items.len()) {
            Some(names) => {
                layout.names = names;
                layout.header = Header::FirstRow;
                layout.skip_next = true;
            }
            None => layout.header = Header::Absent,
        }
        layout
    }

    /// The layout of a later part of the same file, or of its first part
    /// (which holds the header row, if any) when `first_part`.
    pub fn continuation(&self, first_part: bool) -> RowLayout {
        RowLayout {
            mode: self.mode,
            header: self.header,
            names: self.names.clone(),
            width: self.width,
            ragged: 0,
            skip_next: first_part && self.header == Header::FirstRow,
        }
    }

    /// Folds in what the rows of a later part showed.
    pub fn merge(&mut self, next: &RowLayout) {
        self.ragged += next.ragged;
    }

    /// Rows named by a column list the document gives.
    pub fn listed(names: Vec<String>) -> RowLayout {
        RowLayout {
            mode: RowMode::On,
            header: Header::Listed,
            width: names.len(),
            names,
            ragged: 0,
            skip_next: false,
        }
    }

    /// Whether arrays are read as rows now; `first` says whether the next
    /// element is the first one.
    pub fn reads_rows(&self, first: bool) -> Option<&[String]> {
        match self.mode {
            RowMode::On => Some(&self.names),
            RowMode::IfFirst if first => Some(&self.names),
            _ => None,
        }
    }

    pub fn is_on(&self) -> bool {
        self.mode == RowMode::On
    }

    /// An element that is not an array came first: arrays are not rows.
    pub fn settle_on_records(&mut self) {
        if self.mode == RowMode::IfFirst {
            self.mode = RowMode::Off;
        }
    }

    /// Takes in a row of `cells` cells just read into `flat`; false when it
    /// is the header row rather than a record.
    pub fn take(&mut self, flat: &FlatRecord, cells: usize) -> bool {
        self.mode = RowMode::On;
        if self.skip_next {
            self.skip_next = false;
            return false;
        }
        if self.header == Header::Undecided {
            self.width = cells;
            if let Some(names) = header_names(flat, cells) {
                self.names = names;
                self.header = Header::FirstRow;
                return false;
            }
            self.header = Header::Absent;
            return true;
        }
        if cells != self.width {
            self.ragged += 1;
        }
        true
    }

    /// The names of the first `cells` positions, for rows parsed whole.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn warnings(&self, out: &mut Vec<String>) {
        if self.mode != RowMode::On {
            return;
        }
        out.push(match self.header {
            Header::Listed => {
                "records read from arrays of cells, named by the document's column list (`meta.view.columns`)".to_owned()
            }
            Header::FirstRow => {
                "records read from arrays of cells; the first array is the header row".to_owned()
            }
            Header::Absent | Header::Undecided => {
                "records read from arrays of cells, with no header row: fields are named column0, column1…"
                    .to_owned()
            }
        });
        if self.ragged > 0 {
            out.push(format!(
                "{} rows have more or fewer cells than the {} ({})",
                self.ragged,
                if self.header == Header::Absent {
                    "first row"
                } else {
                    "header"
                },
                self.width
            ));
        }
    }
}

/// The cells of a first row that can be a header: every one a distinct,
/// non-empty string.
fn header_names(flat: &FlatRecord, cells: usize) -> Option<Vec<String>> {
    let mut names = Vec::with_capacity(cells);
    let mut seen = HashSet::with_capacity(cells);
    for (_, leaf) in flat.cells() {
        let Leaf::Text(range) = leaf else {
            return None;
        };
        let name = flat.text(range).trim();
        if name.is_empty() || !seen.insert(name) {
            return None;
        }
        names.push(name.to_owned());
    }
    (cells > 0 && names.len() == cells).then_some(names)
}

/// What a document's own column list (Socrata's `meta.view.columns`)
/// gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListedColumns {
    Names(Vec<String>),
    /// There is a list, but not one name per column: not an array, an
    /// entry without a `fieldName` string (of 128 bytes at most), or more
    /// than [`MAX_LISTED_COLUMNS`] entries.
    Unusable,
}

/// Reads Socrata's `meta` member for `view.columns[].fieldName`, skipping
/// everything else; `None` when there is no such list.
pub(crate) struct SocrataMeta;

impl<'de> DeserializeSeed<'de> for SocrataMeta {
    type Value = Option<ListedColumns>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SocrataMeta {
    type Value = Option<ListedColumns>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut names = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "view" && names.is_none() {
                names = map.next_value_seed(Member("columns", ColumnList))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(names)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    scalars_are!(None);
}

/// The member `.0` of an object, read with `.1`; `None` for anything else.
struct Member<S>(&'static str, S);

impl<'de, S, T> DeserializeSeed<'de> for Member<S>
where
    S: DeserializeSeed<'de, Value = Option<T>> + Copy,
{
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S, T> Visitor<'de> for Member<S>
where
    S: DeserializeSeed<'de, Value = Option<T>> + Copy,
{
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with a `{}` member", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0 && found.is_none() {
                found = map.next_value_seed(self.1)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    scalars_are!(None);
}

/// Socrata's `columns`: an array of objects, each with a `fieldName`.
#[derive(Clone, Copy)]
struct ColumnList;

impl<'de> DeserializeSeed<'de> for ColumnList {
    type Value = Option<ListedColumns>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ColumnList {
    type Value = Option<ListedColumns>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of columns")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        let mut complete = true;
        while let Some(name) = seq.next_element_seed(Member("fieldName", ShortText))? {
            match name {
                Some(name) if complete && names.len() < MAX_LISTED_COLUMNS => names.push(name),
                _ => complete = false,
            }
        }
        Ok(Some(if complete && !names.is_empty() {
            ListedColumns::Names(names)
        } else {
            ListedColumns::Unusable
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Some(ListedColumns::Unusable))
    }

    scalars_are!(Some(ListedColumns::Unusable));
}
