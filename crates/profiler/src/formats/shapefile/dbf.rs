//! A Shapefile's attribute table (`.dbf`).
//!
//! The `dbase` crate reads the header and the field descriptors. Records
//! are then read here, as raw bytes, one at a time: dbase's text decoding
//! cannot be given a custom decoder from outside the crate (its encoding
//! trait names private error types), and it parses `F` fields as `f32`,
//! which would cut the digits of areas and lengths. Reading raw bytes lets
//! [`DbfText`] decide per value whether the text is UTF-8 or single-byte,
//! and numbers be read from their written text as `f64`.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};

use chrono::NaiveDate;
use dbase::FieldType;
use serde_json::Number;

use super::text::DbfText;
use crate::ProfileError;

/// One field descriptor.
#[derive(Debug, Clone)]
pub(crate) struct DbfField {
    /// The name as dbase read it (bytes that are not UTF-8 replaced),
    /// until [`DbfTable::decode_names`] decodes it like the records.
    pub name: String,
    /// The name's bytes in the descriptor, when they could be read.
    raw_name: Option<Vec<u8>>,
    /// Decimal places the descriptor declares (byte 17), when read.
    decimals: Option<u8>,
    pub kind: FieldType,
    /// Byte offset of the field in a record (after the deletion flag).
    offset: usize,
    len: usize,
}

/// The header facts needed to read the records.
#[derive(Debug)]
pub(crate) struct DbfTable {
    pub fields: Vec<DbfField>,
    /// Records the header declares, deleted ones included.
    pub declared_records: u64,
    /// Header byte 29: the dBase language driver id.
    pub language_driver: u8,
    first_record: u64,
    record_size: usize,
}

fn malformed(layer: &str, what: impl std::fmt::Display) -> ProfileError {
    ProfileError::malformed("shapefile", format!("{layer}.dbf: {what}"))
}

impl DbfTable {
    /// Reads the header of the DBF in `source`.
    pub fn read<R: Read + Seek>(source: &mut R, layer: &str) -> Result<DbfTable, ProfileError> {
        let mut head = [0u8; 32];
        source
            .read_exact(&mut head)
            .map_err(|e| malformed(layer, format_args!("header unreadable: {e}")))?;
        source
            .seek(SeekFrom::Start(0))
            .map_err(|e| ProfileError::io("read", e))?;
        let reader = dbase::ReaderBuilder::new()
            .with_encoding(dbase::UnicodeLossy)
            .build(&mut *source)
            .map_err(|e| malformed(layer, format_args!("invalid header: {e}")))?;
        let header = *reader.header();
        let descriptors: Vec<(String, FieldType, u8)> = reader
            .fields()
            .iter()
            .map(|f| (f.name().to_owned(), f.field_type(), f.length()))
            .collect();
        drop(reader);
        let mut raw_descriptors =
            raw_descriptors(&mut *source, descriptors.len()).map(Vec::into_iter);
        let mut fields = Vec::with_capacity(descriptors.len());
        let mut offset = 0usize;
        for (name, kind, length) in descriptors {
            let len = usize::from(length);
            let raw = raw_descriptors.as_mut().and_then(Iterator::next);
            let decimals = raw.as_ref().map(|r| r.decimals);
            fields.push(DbfField {
                name,
                raw_name: raw.map(|r| r.name),
                decimals,
                kind,
                offset,
                len,
            });
            offset += len;
        }
        let record_size = usize::from(header.size_of_record);
        if offset + 1 > record_size {
            return Err(malformed(
                layer,
                format_args!(
                    "fields take {} bytes but records are {record_size} bytes",
                    offset + 1
                ),
            ));
        }
        Ok(DbfTable {
            fields,
            declared_records: u64::from(header.num_records),
            language_driver: head[29],
            first_record: u64::from(header.offset_to_first_record),
            record_size,
        })
    }

    /// Decodes the field names as the records' text is decoded: a name
    /// such as `ANNÉE` is written in the DBF's code page too.
    pub fn decode_names(&mut self, text: &mut DbfText) {
        for field in &mut self.fields {
            if let Some(raw) = &field.raw_name
                && !raw.is_ascii()
            {
                field.name = text.decode(raw).trim().to_owned();
            }
        }
    }

    /// Reads every record in order, skipping deleted ones, and hands each
    /// one's field bytes to `visit`. Returns the number of records read and
    /// which were deleted.
    pub fn for_each_record<R: Read + Seek>(
        &self,
        source: &mut R,
        layer: &str,
        mut visit: impl FnMut(&[&[u8]]) -> Result<(), ProfileError>,
    ) -> Result<(u64, DeletedRecords), ProfileError> {
        source
            .seek(SeekFrom::Start(self.first_record))
            .map_err(|e| ProfileError::io("read", e))?;
        let mut record = vec![0u8; self.record_size];
        let mut read = 0u64;
        let mut deleted = DeletedRecords::default();
        for n in 1..=self.declared_records {
            source.read_exact(&mut record).map_err(|e| {
                malformed(
                    layer,
                    format_args!(
                        "record {n} of {} cannot be read (truncated file?): {e}",
                        self.declared_records
                    ),
                )
            })?;
            if record[0] == b'*' {
                deleted.mark(n, self.declared_records);
                continue;
            }
            let body = &record[1..];
            let cells: Vec<&[u8]> = self
                .fields
                .iter()
                .map(|f| &body[f.offset..f.offset + f.len])
                .collect();
            visit(&cells)?;
            read += 1;
        }
        Ok((read, deleted))
    }
}

/// The 1-based numbers of the records marked deleted, as a bit set
/// allocated at the first one.
#[derive(Debug, Default)]
pub(crate) struct DeletedRecords {
    bits: Vec<u64>,
}

impl DeletedRecords {
    fn mark(&mut self, n: u64, declared: u64) {
        if self.bits.is_empty() {
            let words = usize::try_from(declared / 64 + 1).unwrap_or(usize::MAX);
            self.bits = vec![0; words];
        }
        if let Some(word) = usize::try_from(n / 64)
            .ok()
            .and_then(|i| self.bits.get_mut(i))
        {
            *word |= 1 << (n % 64);
        }
    }

    pub fn contains(&self, n: u64) -> bool {
        usize::try_from(n / 64)
            .ok()
            .and_then(|i| self.bits.get(i))
            .is_some_and(|word| word & (1 << (n % 64)) != 0)
    }
}

/// What dbase does not give of a field descriptor.
struct RawDescriptor {
    name: Vec<u8>,
    decimals: u8,
}

/// The `count` field descriptors that follow the 32-byte header (32 bytes
/// each: the name in 11 bytes ended by a NUL, the decimal count at byte
/// 17), or `None` when they do not read as such.
fn raw_descriptors<R: Read + Seek>(source: &mut R, count: usize) -> Option<Vec<RawDescriptor>> {
    source.seek(SeekFrom::Start(32)).ok()?;
    let mut out = Vec::with_capacity(count);
    let mut descriptor = [0u8; 32];
    for _ in 0..count {
        source.read_exact(&mut descriptor).ok()?;
        if descriptor[0] == 0x0D {
            return None;
        }
        let end = descriptor[..11].iter().position(|&b| b == 0).unwrap_or(11);
        out.push(RawDescriptor {
            name: descriptor[..end].to_vec(),
            decimals: descriptor[17],
        });
    }
    Some(out)
}

impl DbfField {
    /// The `format` its values are written in (dates and date-times, which
    /// this reader writes as ISO 8601 text).
    pub fn declared_format(&self) -> Option<&'static str> {
        match self.kind {
            FieldType::Date => Some(DATE_FORMAT),
            FieldType::DateTime => Some(DATETIME_FORMAT),
            _ => None,
        }
    }

    /// The type the descriptor declares, for a field with no value to
    /// infer one from (an empty layer, a column of blanks).
    pub fn declared_type(&self) -> Option<dataprof_model::FieldType> {
        use dataprof_model::FieldType as T;
        Some(match self.kind {
            FieldType::Character | FieldType::Memo => T::String,
            FieldType::Date => T::Date,
            FieldType::DateTime => T::Datetime,
            FieldType::Logical => T::Boolean,
            FieldType::Integer => T::Integer,
            FieldType::Numeric if self.decimals == Some(0) => T::Integer,
            FieldType::Numeric | FieldType::Float | FieldType::Double | FieldType::Currency => {
                T::Number
            }
        })
    }
}

/// How DBF dates and date-times are written as text (see [`Cell::Date`]).
const DATE_FORMAT: &str = "%Y-%m-%d";
const DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// One value, typed by its field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    Number(Number),
    Bool(bool),
    /// A date or date-time, as ISO 8601 text.
    Date(String),
    /// A number or date whose bytes do not read as one, kept as text.
    Unreadable(Cow<'a, str>),
    /// A memo, whose text lives in a `.dbt` file this reader does not open.
    Memo,
}

/// Reads one field's bytes.
pub(crate) fn cell<'a>(field: &DbfField, bytes: &'a [u8], text: &mut DbfText) -> Cell<'a> {
    match field.kind {
        FieldType::Character => {
            let t = trim(bytes);
            if t.is_empty() {
                Cell::Null
            } else {
                Cell::Text(text.decode(t))
            }
        }
        FieldType::Numeric | FieldType::Float => number(trim(bytes), text),
        FieldType::Date => date(trim(bytes), text),
        FieldType::Logical => match bytes.first() {
            Some(b'T' | b't' | b'Y' | b'y') => Cell::Bool(true),
            Some(b'F' | b'f' | b'N' | b'n') => Cell::Bool(false),
            _ => Cell::Null,
        },
        FieldType::Integer => match <[u8; 4]>::try_from(bytes) {
            Ok(b) => Cell::Number(Number::from(i32::from_le_bytes(b))),
            Err(_) => Cell::Unreadable(text.decode(bytes)),
        },
        FieldType::Double => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => float(f64::from_le_bytes(b)),
            Err(_) => Cell::Unreadable(text.decode(bytes)),
        },
        FieldType::Currency => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => float(i64::from_le_bytes(b) as f64 / 10_000.0),
            Err(_) => Cell::Unreadable(text.decode(bytes)),
        },
        FieldType::DateTime => date_time(bytes),
        FieldType::Memo => Cell::Memo,
    }
}

/// Strips the space (and NUL) padding DBF puts around values.
fn trim(bytes: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !pad(b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn float(x: f64) -> Cell<'static> {
    Number::from_f64(x).map_or(Cell::Null, Cell::Number)
}

/// `N` and `F` values, read from their text: integers stay integers.
fn number<'a>(t: &'a [u8], text: &mut DbfText) -> Cell<'a> {
    if t.is_empty() || t.iter().all(|b| *b == b'*') {
        return Cell::Null;
    }
    let Ok(s) = std::str::from_utf8(t) else {
        return Cell::Unreadable(text.decode(t));
    };
    let integral = !s.contains(['.', 'e', 'E']);
    if integral && let Ok(i) = s.parse::<i64>() {
        return Cell::Number(Number::from(i));
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => float(x),
        _ => Cell::Unreadable(Cow::Borrowed(s)),
    }
}

/// `D` values, `YYYYMMDD`.
fn date<'a>(t: &'a [u8], text: &mut DbfText) -> Cell<'a> {
    if t.is_empty() || t.iter().all(|b| *b == b'0') {
        return Cell::Null;
    }
    let parsed = std::str::from_utf8(t)
        .ok()
        .filter(|s| s.len() == 8)
        .and_then(|s| {
            let y = s[0..4].parse().ok()?;
            let m = s[4..6].parse().ok()?;
            let d = s[6..8].parse().ok()?;
            NaiveDate::from_ymd_opt(y, m, d)
        });
    match parsed {
        Some(d) => Cell::Date(d.format(DATE_FORMAT).to_string()),
        None => Cell::Unreadable(text.decode(t)),
    }
}

/// `T` values: Julian day number and milliseconds since midnight.
fn date_time(bytes: &[u8]) -> Cell<'static> {
    let (Some(day), Some(ms)) = (bytes.get(0..4), bytes.get(4..8)) else {
        return Cell::Null;
    };
    let day = i32::from_le_bytes([day[0], day[1], day[2], day[3]]);
    let ms = i32::from_le_bytes([ms[0], ms[1], ms[2], ms[3]]);
    if day == 0 {
        return Cell::Null;
    }
    // Julian day 1721426 is 0001-01-01, day 1 of the common era.
    let date = NaiveDate::from_num_days_from_ce_opt(day - 1_721_425);
    let time = u32::try_from(ms)
        .ok()
        .and_then(|ms| chrono::NaiveTime::from_num_seconds_from_midnight_opt(ms / 1000, 0));
    match (date, time) {
        (Some(d), Some(t)) => Cell::Date(d.and_time(t).format(DATETIME_FORMAT).to_string()),
        _ => Cell::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::Declared;
    use super::*;

    #[test]
    fn declared_dates_carry_the_format_their_values_are_written_in() {
        for (kind, bytes) in [
            (FieldType::Date, &b"20240131"[..]),
            (
                FieldType::DateTime,
                &[0x8C, 0x25, 0x25, 0x00, 0x80, 0xEE, 0x36, 0x00][..],
            ),
        ] {
            let field = field(kind);
            let format = field.declared_format().expect("a date format");
            let mut t = DbfText::new(Declared::Nothing);
            let Cell::Date(text) = cell(&field, bytes, &mut t).to_owned_cell() else {
                panic!("{kind:?} reads as a date")
            };
            let parsed = match field.declared_type() {
                Some(dataprof_model::FieldType::Date) => {
                    chrono::NaiveDate::parse_from_str(&text, format).is_ok()
                }
                Some(dataprof_model::FieldType::Datetime) => {
                    chrono::NaiveDateTime::parse_from_str(&text, format).is_ok()
                }
                other => panic!("{kind:?} declares {other:?}"),
            };
            assert!(parsed, "{text} is not written as {format}");
        }
    }

    fn field(kind: FieldType) -> DbfField {
        DbfField {
            name: "f".into(),
            raw_name: None,
            decimals: None,
            kind,
            offset: 0,
            len: 0,
        }
    }

    #[test]
    fn values_by_field_type() {
        let mut t = DbfText::new(Declared::Nothing);
        let mut c = |kind, bytes: &[u8]| cell(&field(kind), bytes, &mut t).to_owned_cell();
        let num = |x: f64| Cell::Number(Number::from_f64(x).expect("finite"));
        assert_eq!(
            c(FieldType::Character, b"  Paris  "),
            Cell::Text("Paris".into())
        );
        assert_eq!(c(FieldType::Character, b"     "), Cell::Null);
        assert_eq!(c(FieldType::Numeric, b"   42"), Cell::Number(42.into()));
        assert_eq!(
            c(FieldType::Float, b"  11031614.9870000002"),
            num(11_031_614.987)
        );
        assert_eq!(
            c(FieldType::Numeric, b"35000000.000000000000000"),
            num(35e6)
        );
        assert_eq!(c(FieldType::Numeric, b"*****"), Cell::Null);
        assert_eq!(
            c(FieldType::Numeric, b"1,5"),
            Cell::Unreadable("1,5".into())
        );
        assert_eq!(
            c(FieldType::Date, b"20240131"),
            Cell::Date("2024-01-31".into())
        );
        assert_eq!(c(FieldType::Date, b"00000000"), Cell::Null);
        assert_eq!(
            c(FieldType::Date, b"20241345"),
            Cell::Unreadable("20241345".into())
        );
        assert_eq!(c(FieldType::Logical, b"T"), Cell::Bool(true));
        assert_eq!(c(FieldType::Logical, b"?"), Cell::Null);
        assert_eq!(
            c(FieldType::Integer, &7i32.to_le_bytes()),
            Cell::Number(7.into())
        );
        assert_eq!(c(FieldType::Double, &2.5f64.to_le_bytes()), num(2.5));
        let mut dt = 2_440_588i32.to_le_bytes().to_vec();
        dt.extend_from_slice(&3_723_000i32.to_le_bytes());
        assert_eq!(
            c(FieldType::DateTime, &dt),
            Cell::Date("1970-01-01T01:02:03".into())
        );
        assert_eq!(c(FieldType::Memo, b"        12"), Cell::Memo);
    }

    impl Cell<'_> {
        fn to_owned_cell(&self) -> Cell<'static> {
            match self {
                Cell::Null => Cell::Null,
                Cell::Text(s) => Cell::Text(s.to_string().into()),
                Cell::Number(n) => Cell::Number(n.clone()),
                Cell::Bool(b) => Cell::Bool(*b),
                Cell::Date(s) => Cell::Date(s.clone()),
                Cell::Unreadable(s) => Cell::Unreadable(s.to_string().into()),
                Cell::Memo => Cell::Memo,
            }
        }
    }
}
