//! Dates, datetimes and times, read byte by byte and decided per column.
//!
//! A value like `05/06/2019` is valid day-first (5 June) and month-first
//! (6 May); `13/12/2004` only day-first. The column keeps the patterns
//! every value is valid under: one value with a first part above 12
//! settles day-first, one with a second part above 12 month-first, both
//! together leave nothing (the column is not a date). When both orders are
//! still open at the end, day-first wins. Calendar validity is checked
//! (`31/02/2020` is not a date). Compact `20210131` is offered as a
//! pattern too; the caller accepts it only when the field name says date.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use serde_json::Value;

/// Date patterns, indexed `order * 3 + separator` (orders year-first,
/// day-first, month-first; separators `-`, `/`, `.`), then compact, then
/// two-digit years with `/` (day-first, month-first), as old French
/// spreadsheets write them (`31/12/20`). Datetimes use the first nine.
pub(crate) const DATE_PATTERNS: [&str; 12] = [
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%m-%d-%Y", "%m/%d/%Y",
    "%m.%d.%Y", "%Y%m%d", "%d/%m/%y", "%m/%d/%y",
];
pub(crate) const COMPACT: usize = 9;
/// Day-first with a two-digit year; month-first is the next pattern.
const SHORT_YEAR_DAY_FIRST: usize = 10;
const ALL_DATES: u16 = (1 << DATE_PATTERNS.len()) - 1;
/// Datetime patterns: a date pattern (not compact) times `T` or space.
const DATETIME_SLOTS: usize = 18;
const ALL_DATETIMES: u32 = (1 << DATETIME_SLOTS) - 1;

/// The readings of one value: at most two (day-first and month-first).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateReadings {
    items: [Option<(usize, NaiveDate)>; 2],
}

impl DateReadings {
    fn push(&mut self, pattern: usize, date: Option<NaiveDate>) {
        if let Some(date) = date
            && let Some(slot) = self.items.iter_mut().find(|s| s.is_none())
        {
            *slot = Some((pattern, date));
        }
    }

    pub(crate) fn mask(&self) -> u16 {
        self.iter().fold(0, |m, (p, _)| m | (1 << p))
    }

    fn iter(&self) -> impl Iterator<Item = (usize, NaiveDate)> + '_ {
        self.items.iter().flatten().copied()
    }

    fn get(&self, pattern: usize) -> Option<NaiveDate> {
        self.iter().find(|(p, _)| *p == pattern).map(|(_, d)| d)
    }
}

/// A run of 1 to 4 ASCII digits at `i`: its value and length (0 when none,
/// 5 when longer than 4).
fn digit_run(b: &[u8], i: usize) -> (u32, usize) {
    let mut value = 0u32;
    let mut len = 0;
    while let Some(c) = b.get(i + len).filter(|c| c.is_ascii_digit()) {
        if len == 4 {
            return (0, 5);
        }
        value = value * 10 + u32::from(c - b'0');
        len += 1;
    }
    (value, len)
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// The year a two-digit year stands for, as `%y` reads it: 69 to 99 in
/// the 1900s, 00 to 68 in the 2000s.
fn full_year(yy: u32) -> u32 {
    if yy >= 69 { 1900 + yy } else { 2000 + yy }
}

/// Reads a separated date at the start of `b`: its readings and the
/// bytes it took. Two-digit years are read only when `short_years`.
fn read_date_prefix(b: &[u8], short_years: bool) -> Option<(DateReadings, usize)> {
    let (a, la) = digit_run(b, 0);
    let sep = *b.get(la)?;
    let sep_index = match sep {
        b'-' => 0,
        b'/' => 1,
        b'.' => 2,
        _ => return None,
    };
    let (m, lm) = digit_run(b, la + 1);
    if !(1..=2).contains(&lm) || b.get(la + 1 + lm) != Some(&sep) {
        return None;
    }
    let (c, lc) = digit_run(b, la + lm + 2);
    let end = la + lm + 2 + lc;
    let mut readings = DateReadings::default();
    if la == 4 && (1..=2).contains(&lc) {
        readings.push(sep_index, ymd(a, m, c));
    } else if (1..=2).contains(&la) && lc == 4 {
        readings.push(3 + sep_index, ymd(c, m, a));
        readings.push(6 + sep_index, ymd(c, a, m));
    } else if short_years && sep == b'/' && (1..=2).contains(&la) && lc == 2 {
        let year = full_year(c);
        readings.push(SHORT_YEAR_DAY_FIRST, ymd(year, m, a));
        readings.push(SHORT_YEAR_DAY_FIRST + 1, ymd(year, a, m));
    }
    (readings.mask() != 0).then_some((readings, end))
}

/// All readings of a trimmed value as a date.
pub(crate) fn read_date(t: &str) -> DateReadings {
    let b = t.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) && b[0] != b'0' {
        let num = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
        let mut readings = DateReadings::default();
        readings.push(COMPACT, ymd(num(0) * 100 + num(2), num(4), num(6)));
        return readings;
    }
    match read_date_prefix(b, true) {
        Some((readings, end)) if end == b.len() => readings,
        _ => DateReadings::default(),
    }
}

/// A time of day as read, with which optional parts it had.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeReading {
    time: NaiveTime,
    seconds: bool,
    fraction: bool,
    /// Written the French way, `08h30` or `9h`.
    french: bool,
}

/// `8h`, `08h30`, `17H00`: hours, `h`, and minutes or nothing.
fn read_french_time(b: &[u8]) -> Option<TimeReading> {
    let (h, lh) = digit_run(b, 0);
    if !(1..=2).contains(&lh) || !matches!(b.get(lh), Some(b'h' | b'H')) {
        return None;
    }
    let m = match &b[lh + 1..] {
        [] => 0,
        [m1, m2] if m1.is_ascii_digit() && m2.is_ascii_digit() => {
            u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0')
        }
        _ => return None,
    };
    Some(TimeReading {
        time: NaiveTime::from_hms_opt(h, m, 0)?,
        seconds: false,
        fraction: false,
        french: true,
    })
}

/// `H:MM`, `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff` at the start of `b`.
fn read_time_prefix(b: &[u8]) -> Option<(TimeReading, usize)> {
    let (h, lh) = digit_run(b, 0);
    if !(1..=2).contains(&lh) || b.get(lh) != Some(&b':') {
        return None;
    }
    let (m, lm) = digit_run(b, lh + 1);
    if lm != 2 {
        return None;
    }
    let mut i = lh + 3;
    let (mut s, mut seconds, mut nanos, mut fraction) = (0, false, 0, false);
    if b.get(i) == Some(&b':') {
        let (sv, ls) = digit_run(b, i + 1);
        if ls != 2 {
            return None;
        }
        s = sv;
        seconds = true;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            let start = i + 1;
            let mut j = start;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let len = j - start;
            if len == 0 || len > 9 {
                return None;
            }
            for &c in &b[start..j] {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            nanos *= 10u32.pow((9 - len) as u32);
            fraction = true;
            i = j;
        }
    }
    let time = NaiveTime::from_hms_nano_opt(h, m, s, nanos)?;
    Some((
        TimeReading {
            time,
            seconds,
            fraction,
            french: false,
        },
        i,
    ))
}

pub(crate) fn read_time(t: &str) -> Option<TimeReading> {
    match read_time_prefix(t.as_bytes()) {
        Some((reading, end)) if end == t.len() => Some(reading),
        _ => read_french_time(t.as_bytes()),
    }
}

/// A point in time: local date and time, and the UTC offset if written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Instant {
    local: NaiveDateTime,
    offset: Option<i32>,
}

impl Instant {
    /// The ordering key: UTC when the offset is known, local otherwise.
    fn key(&self) -> NaiveDateTime {
        match self.offset {
            Some(secs) => self
                .local
                .checked_sub_signed(TimeDelta::seconds(i64::from(secs)))
                .unwrap_or(self.local),
            None => self.local,
        }
    }

    fn iso(&self) -> String {
        let mut out = format!(
            "{}T{}",
            iso_date(self.local.date()),
            iso_time(self.local.time())
        );
        match self.offset {
            None => {}
            Some(0) => out.push('Z'),
            Some(secs) => {
                let sign = if secs < 0 { '-' } else { '+' };
                let abs = secs.unsigned_abs();
                out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60));
            }
        }
        out
    }
}

/// A datetime value: its date readings, the date/time separator
/// (0 for `T`, 1 for space), time and offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateTimeReading {
    dates: DateReadings,
    separator: usize,
    time: TimeReading,
    offset: Option<i32>,
    offset_z: bool,
    /// The offset was written `+HH:MM`.
    offset_colon: bool,
}

impl DateTimeReading {
    fn mask(&self) -> u32 {
        self.dates
            .iter()
            .fold(0, |m, (p, _)| m | (1 << (p * 2 + self.separator)))
    }

    fn instant(&self, date: NaiveDate) -> Instant {
        Instant {
            local: date.and_time(self.time.time),
            offset: self.offset,
        }
    }
}

/// `Z`, `+HH`, `+HHMM`, `+HH:MM` (or `-`) as seconds east of UTC.
fn read_offset(b: &[u8]) -> Option<(i32, bool)> {
    match b {
        [] => None,
        [b'Z' | b'z'] => Some((0, true)),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hh, mm) = match rest {
                [h1, h2] => ([*h1, *h2], [b'0', b'0']),
                [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => ([*h1, *h2], [*m1, *m2]),
                _ => return None,
            };
            if !hh.iter().chain(mm.iter()).all(u8::is_ascii_digit) {
                return None;
            }
            let h = i32::from(hh[0] - b'0') * 10 + i32::from(hh[1] - b'0');
            let m = i32::from(mm[0] - b'0') * 10 + i32::from(mm[1] - b'0');
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            Some((if *sign == b'-' { -secs } else { secs }, false))
        }
        _ => None,
    }
}

pub(crate) fn read_datetime(t: &str) -> Option<DateTimeReading> {
    let b = t.as_bytes();
    let (dates, n) = read_date_prefix(b, false)?;
    let separator = match b.get(n)? {
        b'T' => 0,
        b' ' => 1,
        _ => return None,
    };
    let rest = b.get(n + 1..)?;
    let (time, m) = read_time_prefix(rest)?;
    let tail = &rest[m..];
    let (offset, offset_z) = if tail.is_empty() {
        (None, false)
    } else {
        let (secs, z) = read_offset(tail)?;
        (Some(secs), z)
    };
    Some(DateTimeReading {
        dates,
        separator,
        time,
        offset,
        offset_z,
        offset_colon: tail.contains(&b':'),
    })
}

/// Date patterns still possible for a column, with each one's range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateState {
    mask: u16,
    ranges: [Option<(NaiveDate, NaiveDate)>; DATE_PATTERNS.len()],
}

impl Default for DateState {
    fn default() -> Self {
        DateState {
            mask: ALL_DATES,
            ranges: [None; DATE_PATTERNS.len()],
        }
    }
}

impl DateState {
    /// False once no pattern fits every value.
    pub(crate) fn observe(&mut self, readings: &DateReadings) -> bool {
        self.mask &= readings.mask();
        for (p, d) in readings.iter() {
            if self.mask & (1 << p) != 0 {
                let range = &mut self.ranges[p];
                *range = Some(match *range {
                    Some((lo, hi)) => (lo.min(d), hi.max(d)),
                    None => (d, d),
                });
            }
        }
        self.mask != 0
    }

    pub(crate) fn merge(&mut self, o: &DateState) {
        self.mask &= o.mask;
        for (mine, theirs) in self.ranges.iter_mut().zip(o.ranges.iter()) {
            *mine = match (*mine, *theirs) {
                (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
                (x, None) | (None, x) => x,
            };
        }
    }

    /// The pattern for the column: year-first, then day-first before
    /// month-first; compact only when the caller allows it.
    pub(crate) fn decide(&self, allow_compact: bool) -> Option<usize> {
        (0..DATE_PATTERNS.len())
            .filter(|&p| p != COMPACT || allow_compact)
            .find(|&p| self.mask & (1 << p) != 0)
    }

    pub(crate) fn range(&self, pattern: usize) -> (Option<Value>, Option<Value>) {
        match self.ranges.get(pattern).copied().flatten() {
            Some((lo, hi)) => (Some(iso_date(lo).into()), Some(iso_date(hi).into())),
            None => (None, None),
        }
    }
}

/// Datetime patterns still possible, with ranges and the optional parts
/// seen (a part shows in the format when at least one value has it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateTimeState {
    mask: u32,
    ranges: [Option<(Instant, Instant)>; DATETIME_SLOTS],
    any_seconds: bool,
    any_fraction: bool,
    any_z: bool,
    any_numeric_offset: bool,
    /// Some numeric offset was written `+HH:MM` (`%:z`) rather than
    /// `+HHMM` (`%z`).
    any_colon_offset: bool,
}

impl Default for DateTimeState {
    fn default() -> Self {
        DateTimeState {
            mask: ALL_DATETIMES,
            ranges: [None; DATETIME_SLOTS],
            any_seconds: false,
            any_fraction: false,
            any_z: false,
            any_numeric_offset: false,
            any_colon_offset: false,
        }
    }
}

fn widen(range: Option<(Instant, Instant)>, lo: Instant, hi: Instant) -> (Instant, Instant) {
    match range {
        Some((a, b)) => (
            if lo.key() < a.key() { lo } else { a },
            if hi.key() > b.key() { hi } else { b },
        ),
        None => (lo, hi),
    }
}

impl DateTimeState {
    pub(crate) fn observe(&mut self, r: &DateTimeReading) -> bool {
        self.mask &= r.mask();
        for (p, d) in r.dates.iter() {
            let slot = p * 2 + r.separator;
            if self.mask & (1 << slot) != 0 {
                let instant = r.instant(d);
                self.ranges[slot] = Some(widen(self.ranges[slot], instant, instant));
            }
        }
        self.any_seconds |= r.time.seconds;
        self.any_fraction |= r.time.fraction;
        self.any_z |= r.offset_z;
        self.any_numeric_offset |= r.offset.is_some() && !r.offset_z;
        self.any_colon_offset |= r.offset_colon;
        self.mask != 0
    }

    pub(crate) fn merge(&mut self, o: &DateTimeState) {
        self.mask &= o.mask;
        for (mine, theirs) in self.ranges.iter_mut().zip(o.ranges.iter()) {
            *mine = match (*mine, *theirs) {
                (Some(a), Some((lo, hi))) => Some(widen(Some(a), lo, hi)),
                (x, None) | (None, x) => x,
            };
        }
        self.any_seconds |= o.any_seconds;
        self.any_fraction |= o.any_fraction;
        self.any_z |= o.any_z;
        self.any_numeric_offset |= o.any_numeric_offset;
        self.any_colon_offset |= o.any_colon_offset;
    }

    /// The chosen slot and its strftime format.
    pub(crate) fn decide(&self) -> Option<(usize, String)> {
        let slot = (0..DATETIME_SLOTS).find(|s| self.mask & (1 << s) != 0)?;
        let mut format = String::from(DATE_PATTERNS[slot / 2]);
        format.push(if slot % 2 == 0 { 'T' } else { ' ' });
        format.push_str("%H:%M");
        if self.any_seconds {
            format.push_str(":%S");
        }
        if self.any_fraction {
            format.push_str("%.f");
        }
        if self.any_numeric_offset && self.any_colon_offset {
            format.push_str("%:z");
        } else if self.any_numeric_offset {
            format.push_str("%z");
        } else if self.any_z {
            format.push('Z');
        }
        Some((slot, format))
    }

    pub(crate) fn range(&self, slot: usize) -> (Option<Value>, Option<Value>) {
        match self.ranges.get(slot).copied().flatten() {
            Some((lo, hi)) => (Some(lo.iso().into()), Some(hi.iso().into())),
            None => (None, None),
        }
    }
}

/// Times of day: range and the optional parts seen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeState {
    range: Option<(NaiveTime, NaiveTime)>,
    any_seconds: bool,
    any_fraction: bool,
    /// Every value so far was written `08h30`.
    all_french: bool,
}

impl Default for TimeState {
    fn default() -> Self {
        TimeState {
            range: None,
            any_seconds: false,
            any_fraction: false,
            all_french: true,
        }
    }
}

impl TimeState {
    pub(crate) fn observe(&mut self, r: &TimeReading) {
        self.range = Some(match self.range {
            Some((lo, hi)) => (lo.min(r.time), hi.max(r.time)),
            None => (r.time, r.time),
        });
        self.any_seconds |= r.seconds;
        self.any_fraction |= r.fraction;
        self.all_french &= r.french;
    }

    pub(crate) fn merge(&mut self, o: &TimeState) {
        self.range = match (self.range, o.range) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (x, None) | (None, x) => x,
        };
        self.any_seconds |= o.any_seconds;
        self.any_fraction |= o.any_fraction;
        self.all_french &= o.all_french;
    }

    pub(crate) fn format(&self) -> String {
        if self.all_french && self.range.is_some() {
            return "%Hh%M".to_owned();
        }
        let mut f = String::from("%H:%M");
        if self.any_seconds {
            f.push_str(":%S");
        }
        if self.any_fraction {
            f.push_str("%.f");
        }
        f
    }

    pub(crate) fn range(&self) -> (Option<Value>, Option<Value>) {
        match self.range {
            Some((lo, hi)) => (Some(iso_time(lo).into()), Some(iso_time(hi).into())),
            None => (None, None),
        }
    }
}

pub(crate) fn iso_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

pub(crate) fn iso_time(t: NaiveTime) -> String {
    let base = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let nanos = t.nanosecond();
    if nanos == 0 {
        base
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{base}.{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{base}.{:06}", nanos / 1_000)
    } else {
        format!("{base}.{nanos:09}")
    }
}

/// A text cell as an ISO date under its column's date format.
pub(crate) fn typed_date(t: &str, format: &str) -> Option<Value> {
    let pattern = DATE_PATTERNS.iter().position(|p| *p == format)?;
    read_date(t).get(pattern).map(|d| iso_date(d).into())
}

/// A text cell as an ISO 8601 datetime under its column's format.
pub(crate) fn typed_datetime(t: &str, format: &str) -> Option<Value> {
    let (pattern, separator) = DATE_PATTERNS
        .iter()
        .enumerate()
        .find_map(|(i, p)| match format.strip_prefix(p)?.as_bytes().first()? {
            b'T' => Some((i, 0)),
            b' ' => Some((i, 1)),
            _ => None,
        })?;
    let reading = read_datetime(t)?;
    if reading.separator != separator {
        return None;
    }
    let date = reading.dates.get(pattern)?;
    Some(reading.instant(date).iso().into())
}

pub(crate) fn typed_time(t: &str) -> Option<Value> {
    read_time(t).map(|r| iso_time(r.time).into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dates(values: &[&str]) -> DateState {
        let mut s = DateState::default();
        for v in values {
            s.observe(&read_date(v));
        }
        s
    }

    #[test]
    fn day_first_is_settled_by_a_day_above_12() {
        let s = dates(&["01-01-2000", "02-02-2002", "13-12-2004"]);
        assert_eq!(s.decide(false).map(|p| DATE_PATTERNS[p]), Some("%d-%m-%Y"));
        assert_eq!(
            s.range(3),
            (Some("2000-01-01".into()), Some("2004-12-13".into()))
        );
    }

    #[test]
    fn ambiguous_dates_are_day_first() {
        let s = dates(&["05/06/2019"]);
        assert_eq!(s.decide(false), Some(4));
        assert_eq!(s.range(4).0, Some("2019-06-05".into()));
    }

    #[test]
    fn month_first_when_values_prove_it() {
        let s = dates(&["05/06/2019", "12/31/2019"]);
        assert_eq!(s.decide(false).map(|p| DATE_PATTERNS[p]), Some("%m/%d/%Y"));
    }

    #[test]
    fn mixed_orders_are_not_dates() {
        let s = dates(&["13/01/2019", "01/13/2019"]);
        assert_eq!(s.decide(true), None);
    }

    #[test]
    fn calendar_is_checked() {
        assert_eq!(read_date("31/02/2020").mask(), 0);
        assert_eq!(read_date("29/02/2020").mask(), 1 << 4);
        assert_eq!(read_date("2021-13-01").mask(), 0);
        assert_eq!(read_date("2000.12.13").mask(), 1 << 2);
        assert_eq!(read_date("20210131").mask(), 1 << COMPACT);
        assert_eq!(read_date("20211331").mask(), 0);
        assert_eq!(read_date("2021-01-0").mask(), 0);
        assert_eq!(read_date("12345-01-01").mask(), 0);
    }

    #[test]
    fn compact_only_when_allowed() {
        let s = dates(&["20060502", "20150928"]);
        assert_eq!(s.decide(false), None);
        assert_eq!(s.decide(true), Some(COMPACT));
    }

    #[test]
    fn datetimes_with_formats() {
        let mut s = DateTimeState::default();
        for v in ["2023-05-10T09:46:18.111000", "2023-05-09T07:39:08"] {
            s.observe(&read_datetime(v).unwrap());
        }
        let (slot, format) = s.decide().unwrap();
        assert_eq!(format, "%Y-%m-%dT%H:%M:%S%.f");
        assert_eq!(
            s.range(slot),
            (
                Some("2023-05-09T07:39:08".into()),
                Some("2023-05-10T09:46:18.111".into())
            )
        );

        let mut s = DateTimeState::default();
        for v in ["2000.01.01 12:12:00", "2004.12.13 15:16:00"] {
            s.observe(&read_datetime(v).unwrap());
        }
        assert_eq!(s.decide().unwrap().1, "%Y.%m.%d %H:%M:%S");

        let mut s = DateTimeState::default();
        for v in ["2022-01-04T18:45:18.818+01:00", "2022-01-04T17:00:00Z"] {
            s.observe(&read_datetime(v).unwrap());
        }
        let (slot, format) = s.decide().unwrap();
        assert_eq!(format, "%Y-%m-%dT%H:%M:%S%.f%:z");
        // 17:00Z is before 18:45+01:00 (17:45Z).
        assert_eq!(s.range(slot).0, Some("2022-01-04T17:00:00Z".into()));
        assert_eq!(
            s.range(slot).1,
            Some("2022-01-04T18:45:18.818+01:00".into())
        );
    }

    #[test]
    fn day_first_datetimes() {
        let mut s = DateTimeState::default();
        for v in ["01-01-2000 12:12:00", "13-12-2004 15:16:00"] {
            assert!(s.observe(&read_datetime(v).unwrap()));
        }
        assert_eq!(s.decide().unwrap().1, "%d-%m-%Y %H:%M:%S");
        assert!(read_datetime("2021-01-01T25:00:00").is_none());
        assert!(read_datetime("2021-01-01T10:00:00+0100").is_some());
        assert!(read_datetime("2021-01-01T10:00:00 UTC").is_none());
    }

    #[test]
    fn times() {
        assert!(read_time("12:12:12").is_some());
        assert!(read_time("9:30").is_some());
        assert!(read_time("24:00").is_none());
        assert!(read_time("12:60").is_none());
        assert!(read_time("12:5").is_none());
        let mut s = TimeState::default();
        for v in ["14:15:30", "12:12:12", "15:16:17"] {
            s.observe(&read_time(v).unwrap());
        }
        assert_eq!(s.format(), "%H:%M:%S");
        assert_eq!(
            s.range(),
            (Some("12:12:12".into()), Some("15:16:17".into()))
        );
    }

    #[test]
    fn typed_values() {
        assert_eq!(
            typed_date("13/10/2021", "%d/%m/%Y"),
            Some("2021-10-13".into())
        );
        assert_eq!(typed_date("20210131", "%Y%m%d"), Some("2021-01-31".into()));
        assert_eq!(
            typed_datetime("02-02-2002 14:15:00", "%d-%m-%Y %H:%M:%S"),
            Some("2002-02-02T14:15:00".into())
        );
        assert_eq!(typed_time("9:05"), Some("09:05:00".into()));
    }
}
