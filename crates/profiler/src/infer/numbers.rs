//! Numbers as open data writes them: `51,6`, `4 257`, `1.234,56`,
//! `100,000.00`, `+1,53e4`, decided per column.
//!
//! A value can be read under four conventions: decimal point without
//! grouping (`P`), decimal point with `,` grouping (`PC`), decimal comma
//! without grouping (`C`), decimal comma with `.` grouping (`CD`). A space
//! (or no-break / narrow no-break space) may group thousands under all
//! four. Each value says which conventions it is valid under (`1,234` is
//! 1.234 under `C`/`CD` and 1234 under `PC`; `0,25` is only `C`/`CD`); the
//! column keeps the intersection and finally picks the first left in the
//! order `P`, `C`, `CD`, `PC`. `P` and `PC` read a value the same way when
//! both accept it (so do `C` and `CD`), so statistics are kept per decimal
//! character ("family"), not per convention.
//!
//! Not numbers: codes with a leading zero (`01004`, `007`, not `0` or
//! `0,5`), a `+` before 8 or more bare digits (a phone number), values
//! beyond the range of `f64`.

use serde_json::{Number, Value};

pub(crate) const CONV_P: u8 = 1;
pub(crate) const CONV_PC: u8 = 2;
pub(crate) const CONV_C: u8 = 4;
pub(crate) const CONV_CD: u8 = 8;
pub(crate) const CONV_ALL: u8 = CONV_P | CONV_PC | CONV_C | CONV_CD;
const FAMILY_POINT: u8 = CONV_P | CONV_PC;
const FAMILY_COMMA: u8 = CONV_C | CONV_CD;

/// Separator kinds in a number's mantissa.
const SEP_DOT: u8 = b'.';
const SEP_COMMA: u8 = b',';
const SEP_SPACE: u8 = b' ';

/// Longest value read as a number; longer ones cannot be a finite `f64`
/// written without a leading zero anyway, bar absurd fractions.
const MAX_NUMBER_LEN: usize = 400;

/// The structure of a number-like value, from one pass over its bytes.
#[derive(Debug, Clone, Copy)]
struct Shape {
    negative: bool,
    plus: bool,
    /// Byte range of the mantissa (digits and separators).
    mantissa: (usize, usize),
    /// Exponent digits range and sign, when there is one.
    exponent: Option<(bool, usize, usize)>,
    /// Number of separators.
    seps: usize,
    first_sep: u8,
    last_sep: u8,
    /// Separators before the last one are all `first_sep`.
    prefix_uniform: bool,
    /// Digit-group lengths: first, last, and whether all groups strictly
    /// between them have 3 digits.
    first_len: usize,
    last_len: usize,
    middle_all_three: bool,
    first_digit_zero: bool,
    used_space: bool,
    used_comma: bool,
    used_dot: bool,
    /// The mantissa's digits as one number (separators left out), exact
    /// while `digit_count` is at most [`EXACT_DIGITS`].
    digits_value: u64,
    digit_count: usize,
}

/// Decimal digits whose value always fits in the 53 bits of an `f64`
/// mantissa (and so in an `i64`).
const EXACT_DIGITS: usize = 15;

/// Length in bytes of a space-like separator at `i`: ASCII space, U+00A0
/// no-break space, U+202F narrow no-break space, U+2009 thin space.
fn space_len(b: &[u8], i: usize) -> usize {
    match b.get(i..) {
        Some([b' ', ..]) => 1,
        Some([0xC2, 0xA0, ..]) => 2,
        Some([0xE2, 0x80, 0xAF | 0x89, ..]) => 3,
        _ => 0,
    }
}

fn scan(t: &str) -> Option<Shape> {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > MAX_NUMBER_LEN {
        return None;
    }
    let mut i = 0;
    let (negative, plus) = match b[0] {
        b'-' => (true, false),
        b'+' => (false, true),
        _ => (false, false),
    };
    if negative || plus {
        i = 1;
    }
    let start = i;
    let mut shape = Shape {
        negative,
        plus,
        mantissa: (start, start),
        exponent: None,
        seps: 0,
        first_sep: 0,
        last_sep: 0,
        prefix_uniform: true,
        first_len: 0,
        last_len: 0,
        middle_all_three: true,
        first_digit_zero: b.get(start) == Some(&b'0'),
        used_space: false,
        used_comma: false,
        used_dot: false,
        digits_value: 0,
        digit_count: 0,
    };
    let mut group_len = 0usize;
    let mut digits = 0usize;
    let mut value = 0u64;
    while i < b.len() {
        let c = b[i];
        let (sep, width) = match c {
            b'0'..=b'9' => {
                group_len += 1;
                digits += 1;
                value = value.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                i += 1;
                continue;
            }
            b'.' => (SEP_DOT, 1),
            b',' => (SEP_COMMA, 1),
            b'e' | b'E' => break,
            _ => match space_len(b, i) {
                0 => return None,
                n => (SEP_SPACE, n),
            },
        };
        match sep {
            SEP_SPACE => shape.used_space = true,
            SEP_COMMA => shape.used_comma = true,
            _ => shape.used_dot = true,
        }
        if shape.seps == 0 {
            shape.first_len = group_len;
            shape.first_sep = sep;
        } else {
            // The group that just ended lies between two separators.
            shape.middle_all_three &= group_len == 3;
            // The previous last separator is now part of the prefix.
            shape.prefix_uniform &= shape.last_sep == shape.first_sep;
        }
        shape.last_sep = sep;
        shape.seps += 1;
        group_len = 0;
        i += width;
    }
    if shape.seps == 0 {
        shape.first_len = group_len;
    }
    shape.last_len = group_len;
    shape.mantissa = (start, i);
    shape.digits_value = value;
    shape.digit_count = digits;
    if digits == 0 {
        return None;
    }
    if i < b.len() {
        // Exponent: e, optional sign, 1 to 4 digits, end of value.
        let mut j = i + 1;
        let exp_negative = match b.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let exp_len = j - exp_start;
        if j != b.len() || exp_len == 0 || exp_len > 4 {
            return None;
        }
        shape.exponent = Some((exp_negative, exp_start, j));
    }
    Some(shape)
}

impl Shape {
    /// A code, not a quantity: a leading zero before more integer digits,
    /// or `+` then 8 or more bare digits (an international phone number).
    fn is_code(&self) -> bool {
        let leading_zero = self.first_digit_zero && self.first_len > 1;
        let phone = self.plus && self.seps == 0 && self.exponent.is_none() && self.first_len >= 8;
        leading_zero || phone
    }

    /// Whether the value is a number under the convention with decimal
    /// separator `decimal` and optional grouping separator `group`.
    fn valid_under(&self, decimal: u8, group: Option<u8>) -> bool {
        let is_group = |s: u8| s == SEP_SPACE || Some(s) == group;
        if self.seps == 0 {
            return self.first_len >= 1;
        }
        if self.last_sep == decimal {
            // Integer part, decimal separator, fraction.
            if self.last_len == 0 {
                return false;
            }
            if self.seps == 1 {
                return true;
            }
            self.prefix_uniform
                && is_group(self.first_sep)
                && self.grouping_ok(self.middle_all_three)
        } else {
            // Every separator groups thousands.
            is_group(self.last_sep)
                && (self.seps == 1 || (self.prefix_uniform && self.first_sep == self.last_sep))
                && self.grouping_ok(self.middle_all_three && self.last_len == 3)
        }
    }

    /// Thousands grouping: a first group of 1 to 3 digits not starting
    /// with 0, then groups of exactly 3.
    fn grouping_ok(&self, rest_ok: bool) -> bool {
        (1..=3).contains(&self.first_len) && !self.first_digit_zero && rest_ok
    }

    fn conventions(&self) -> u8 {
        let mut mask = 0;
        if self.valid_under(SEP_DOT, None) {
            mask |= CONV_P;
        }
        if self.valid_under(SEP_DOT, Some(SEP_COMMA)) {
            mask |= CONV_PC;
        }
        if self.valid_under(SEP_COMMA, None) {
            mask |= CONV_C;
        }
        if self.valid_under(SEP_COMMA, Some(SEP_DOT)) {
            mask |= CONV_CD;
        }
        mask
    }

    /// The value when `decimal` is the decimal separator (the last
    /// separator if it is `decimal`, otherwise all separators group).
    fn read(&self, t: &str, decimal: u8) -> Option<Reading> {
        let b = t.as_bytes();
        let (start, end) = self.mantissa;
        let has_fraction = self.seps > 0 && self.last_sep == decimal;
        let whole = !has_fraction && self.exponent.is_none();
        if whole && let Some(i) = self.read_i64(&b[start..end]) {
            return Some(Reading {
                value: i as f64,
                integer: IntValue::Fits(i),
            });
        }
        let integer = if whole {
            IntValue::Overflow
        } else {
            IntValue::Fraction
        };
        if let Some(value) = self.read_exact_f64(b, has_fraction) {
            return Some(Reading { value, integer });
        }
        let mut buf = [0u8; MAX_NUMBER_LEN + 8];
        let mut n = 0;
        let mut push = |c: u8, n: &mut usize| {
            if let Some(slot) = buf.get_mut(*n) {
                *slot = c;
                *n += 1;
            }
        };
        if self.negative {
            push(b'-', &mut n);
        }
        let mut seps_left = self.seps;
        for &c in &b[start..end] {
            if c.is_ascii_digit() {
                push(c, &mut n);
            } else if matches!(c, b'.' | b',' | b' ' | 0xC2 | 0xE2) {
                // One separator (a multi-byte space counts at its lead byte).
                seps_left = seps_left.saturating_sub(1);
                if has_fraction && seps_left == 0 {
                    push(b'.', &mut n);
                }
            }
            // Other bytes are the tail of a multi-byte space: skipped.
        }
        if let Some((exp_negative, es, ee)) = self.exponent {
            push(b'e', &mut n);
            if exp_negative {
                push(b'-', &mut n);
            }
            for &c in &b[es..ee] {
                push(c, &mut n);
            }
        }
        let text = std::str::from_utf8(buf.get(..n)?).ok()?;
        let value: f64 = text.parse().ok()?;
        value.is_finite().then_some(Reading { value, integer })
    }

    /// The value without going through text, when that is exact: at most
    /// 2^53 as digits and a power of ten within 10^22 (both exact in
    /// `f64`), so one correctly rounded multiplication or division gives
    /// what parsing would. `None` sends the caller to the parser.
    fn read_exact_f64(&self, b: &[u8], has_fraction: bool) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.digit_count > EXACT_DIGITS {
            return None;
        }
        let digits = self.digits_value;
        // The digits after the decimal separator: the last group.
        let fraction_digits = if has_fraction {
            i32::try_from(self.last_len).ok()?
        } else {
            0
        };
        let mut exponent = -fraction_digits;
        if let Some((negative, es, ee)) = self.exponent {
            let written = b
                .get(es..ee)?
                .iter()
                .fold(0i32, |acc, c| acc * 10 + i32::from(c - b'0'));
            exponent += if negative { -written } else { written };
        }
        let scale = *POW10.get(exponent.unsigned_abs() as usize)?;
        let magnitude = if exponent < 0 {
            digits as f64 / scale
        } else {
            digits as f64 * scale
        };
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// The digits of a whole number as `i64`, `None` past its range.
    fn read_i64(&self, mantissa: &[u8]) -> Option<i64> {
        if self.digit_count <= EXACT_DIGITS {
            let value = i64::try_from(self.digits_value).ok()?;
            return Some(if self.negative { -value } else { value });
        }
        let mut acc: u64 = 0;
        for &c in mantissa {
            if c.is_ascii_digit() {
                acc = acc.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            }
        }
        if self.negative {
            0i64.checked_sub_unsigned(acc)
        } else {
            i64::try_from(acc).ok()
        }
    }
}

/// Whether a value is a whole number and, if so, whether it fits `i64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum IntValue {
    Fits(i64),
    Overflow,
    Fraction,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reading {
    pub value: f64,
    pub integer: IntValue,
}

/// Statistics of one decimal-separator family over a column.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Family {
    seen: bool,
    all_integer: bool,
    overflow: bool,
    fmin: f64,
    fmax: f64,
    imin: i64,
    imax: i64,
}

impl Default for Family {
    fn default() -> Self {
        Family {
            seen: false,
            all_integer: true,
            overflow: false,
            fmin: f64::INFINITY,
            fmax: f64::NEG_INFINITY,
            imin: i64::MAX,
            imax: i64::MIN,
        }
    }
}

impl Family {
    fn observe(&mut self, r: Reading) {
        self.seen = true;
        self.fmin = self.fmin.min(r.value);
        self.fmax = self.fmax.max(r.value);
        match r.integer {
            IntValue::Fits(i) => {
                self.imin = self.imin.min(i);
                self.imax = self.imax.max(i);
            }
            IntValue::Overflow => self.overflow = true,
            IntValue::Fraction => self.all_integer = false,
        }
    }

    fn merge(&mut self, o: &Family) {
        self.seen |= o.seen;
        self.all_integer &= o.all_integer;
        self.overflow |= o.overflow;
        self.fmin = self.fmin.min(o.fmin);
        self.fmax = self.fmax.max(o.fmax);
        self.imin = self.imin.min(o.imin);
        self.imax = self.imax.max(o.imax);
    }
}

/// The numeric reading of a column so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumberState {
    /// Conventions every value so far is valid under.
    conventions: u8,
    point: Family,
    comma: Family,
    used_space: bool,
    used_comma: bool,
    used_dot: bool,
}

/// What the column's numbers turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumberDecision {
    /// Every value is a whole number (whether they are years is the
    /// caller's call, from the field name).
    pub integer: bool,
    /// `decimal_comma`, `thousands_space`, `thousands_dot`,
    /// `thousands_comma`, joined with `+`; `None` for plain numbers.
    pub format: Option<String>,
    pub min: Option<Value>,
    pub max: Option<Value>,
}

impl Default for NumberState {
    fn default() -> Self {
        NumberState {
            conventions: CONV_ALL,
            point: Family::default(),
            comma: Family::default(),
            used_space: false,
            used_comma: false,
            used_dot: false,
        }
    }
}

impl NumberState {
    /// Reads a trimmed text value; false when it cannot be a number under
    /// any convention still open (the column is then not numeric).
    pub(crate) fn observe_text(&mut self, t: &str) -> bool {
        let Some(shape) = scan(t) else {
            return false;
        };
        if shape.is_code() {
            return false;
        }
        let conventions = self.conventions & shape.conventions();
        if conventions == 0 {
            return false;
        }
        let point = conventions & FAMILY_POINT != 0;
        let comma = conventions & FAMILY_COMMA != 0;
        if point && comma && shape.last_sep != SEP_DOT && shape.last_sep != SEP_COMMA {
            // No decimal separator: both families read the same value.
            match shape.read(t, SEP_DOT) {
                Some(r) => {
                    self.point.observe(r);
                    self.comma.observe(r);
                }
                None => return false,
            }
        } else {
            if point {
                match shape.read(t, SEP_DOT) {
                    Some(r) => self.point.observe(r),
                    None => return false,
                }
            }
            if comma {
                match shape.read(t, SEP_COMMA) {
                    Some(r) => self.comma.observe(r),
                    None => return false,
                }
            }
        }
        self.conventions = conventions;
        self.used_space |= shape.used_space;
        self.used_comma |= shape.used_comma;
        self.used_dot |= shape.used_dot;
        true
    }

    /// A JSON number: integer or float by its JSON type (`3.0` is a float).
    pub(crate) fn observe_json(&mut self, n: &Number) {
        let reading = if let Some(i) = n.as_i64() {
            Reading {
                value: i as f64,
                integer: IntValue::Fits(i),
            }
        } else if let Some(u) = n.as_u64() {
            Reading {
                value: u as f64,
                integer: IntValue::Overflow,
            }
        } else {
            Reading {
                value: n.as_f64().unwrap_or(f64::NAN),
                integer: IntValue::Fraction,
            }
        };
        self.conventions &= CONV_P;
        if reading.value.is_finite() {
            self.point.observe(reading);
        }
    }

    pub(crate) fn merge(&mut self, o: &NumberState) {
        self.conventions &= o.conventions;
        self.point.merge(&o.point);
        self.comma.merge(&o.comma);
        self.used_space |= o.used_space;
        self.used_comma |= o.used_comma;
        self.used_dot |= o.used_dot;
    }

    /// The convention chosen for the column, if any is left.
    fn chosen(&self) -> Option<u8> {
        [CONV_P, CONV_C, CONV_CD, CONV_PC]
            .into_iter()
            .find(|c| self.conventions & c != 0)
    }

    /// The type, format and range, under the chosen convention.
    pub(crate) fn decide(&self) -> Option<NumberDecision> {
        let conv = self.chosen()?;
        let family = if conv & FAMILY_POINT != 0 {
            &self.point
        } else {
            &self.comma
        };
        let mut parts: Vec<&str> = Vec::new();
        if conv & FAMILY_COMMA != 0 {
            parts.push("decimal_comma");
        }
        if conv == CONV_CD && self.used_dot {
            parts.push("thousands_dot");
        }
        if conv == CONV_PC && self.used_comma {
            parts.push("thousands_comma");
        }
        if self.used_space {
            parts.push("thousands_space");
        }
        let format = (!parts.is_empty()).then(|| parts.join("+"));
        // Whole numbers past i64 are still integers (JSON and Frictionless
        // set no bound); their range is not kept, as f64 would round it.
        let integer = family.all_integer;
        let (min, max) = if !family.seen || (integer && family.overflow) {
            (None, None)
        } else if integer {
            (
                Some(Value::from(family.imin)),
                Some(Value::from(family.imax)),
            )
        } else {
            (
                Number::from_f64(family.fmin).map(Value::Number),
                Number::from_f64(family.fmax).map(Value::Number),
            )
        };
        Some(NumberDecision {
            integer,
            format,
            min,
            max,
        })
    }
}

/// The conventions a column's format names, for reading one cell back.
fn convention_of(format: Option<&str>) -> u8 {
    let has = |part: &str| format.is_some_and(|f| f.split('+').any(|p| p == part));
    if has("decimal_comma") {
        if has("thousands_dot") {
            CONV_CD
        } else {
            CONV_C
        }
    } else if has("thousands_comma") {
        CONV_PC
    } else {
        CONV_P
    }
}

/// A text cell as a JSON number under its column's format: `51,6` with
/// `decimal_comma` is 51.6, `4 257` is 4257. `None` when the cell is not a
/// number under that format.
pub(crate) fn typed_number(t: &str, format: Option<&str>, integer: bool) -> Option<Value> {
    let conv = convention_of(format);
    let shape = scan(t)?;
    if shape.conventions() & conv == 0 {
        return None;
    }
    let decimal = if conv & FAMILY_COMMA != 0 {
        SEP_COMMA
    } else {
        SEP_DOT
    };
    let reading = shape.read(t, decimal)?;
    match reading.integer {
        IntValue::Fits(i) if integer => Some(Value::from(i)),
        _ => Number::from_f64(reading.value).map(Value::Number),
    }
}

/// A trimmed cell that is exactly 4 digits between 1000 and 2100.
pub(crate) fn is_year_text(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 4
        && b.iter().all(u8::is_ascii_digit)
        && (b"1000".as_slice()..=b"2100".as_slice()).contains(&b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn state(values: &[&str]) -> (bool, NumberState) {
        let mut s = NumberState::default();
        let ok = values.iter().all(|v| s.observe_text(v));
        (ok, s)
    }

    fn decide(values: &[&str]) -> Option<NumberDecision> {
        let (ok, s) = state(values);
        if ok { s.decide() } else { None }
    }

    /// The value the parser gives for a plain decimal-point text.
    fn parsed(text: &str) -> f64 {
        text.parse().unwrap()
    }

    proptest::proptest! {
        #[test]
        fn exact_path_equals_the_parser(
            int in 0u64..10_000_000_000_000_000,
            frac in proptest::option::of("[0-9]{1,12}"),
            exp in proptest::option::of(-30i32..30),
            negative in proptest::bool::ANY,
        ) {
            let mut text = format!("{}{int}", if negative { "-" } else { "" });
            if let Some(f) = &frac {
                text.push('.');
                text.push_str(f);
            }
            if let Some(e) = exp {
                text.push_str(&format!("e{e}"));
            }
            let shape = scan(&text).unwrap();
            let reading = shape.read(&text, SEP_DOT).unwrap();
            proptest::prop_assert_eq!(reading.value.to_bits(), parsed(&text).to_bits(), "{}", text);
            // The same value written with a decimal comma.
            let comma = text.replace('.', ",");
            let reading = scan(&comma).unwrap().read(&comma, SEP_COMMA).unwrap();
            proptest::prop_assert_eq!(reading.value.to_bits(), parsed(&text).to_bits(), "{}", comma);
        }
    }

    #[test]
    fn exact_path_on_grouped_and_long_values() {
        let read = |t: &str, decimal| scan(t).unwrap().read(t, decimal).unwrap().value;
        assert_eq!(read("1\u{202f}234,5", SEP_COMMA), 1234.5);
        assert_eq!(read("1.234.567,89", SEP_COMMA), 1_234_567.89);
        assert_eq!(read("-0,0", SEP_COMMA).to_bits(), (-0.0f64).to_bits());
        // 20 digits: past 2^53, read by the parser.
        assert_eq!(
            read("1234567890123456789,5", SEP_COMMA),
            parsed("1234567890123456789.5")
        );
        assert_eq!(read("1,5e-40", SEP_COMMA), parsed("1.5e-40"));
    }

    #[test]
    fn conventions_of_single_values() {
        let conv = |t: &str| scan(t).map(|s| s.conventions()).unwrap_or(0);
        assert_eq!(conv("1234"), CONV_ALL);
        assert_eq!(conv("1234.5"), CONV_P | CONV_PC);
        assert_eq!(conv("1.234"), CONV_P | CONV_PC | CONV_CD);
        assert_eq!(conv("1,234"), CONV_C | CONV_CD | CONV_PC);
        assert_eq!(conv("0,25"), CONV_C | CONV_CD);
        assert_eq!(conv("1.234,56"), CONV_CD);
        assert_eq!(conv("1,234.56"), CONV_PC);
        assert_eq!(conv("4 257"), CONV_ALL);
        assert_eq!(conv("4\u{202f}257,5"), CONV_C | CONV_CD);
        assert_eq!(conv("42 57"), 0);
        assert_eq!(conv("1,,5"), 0);
        assert_eq!(conv("abc"), 0);
    }

    #[test]
    fn decimal_comma_column_is_number_with_its_format() {
        let d = decide(&["51,6", "49,1", "52"]).unwrap();
        assert!(!d.integer);
        assert_eq!(d.format.as_deref(), Some("decimal_comma"));
        assert_eq!(d.min, Some(serde_json::json!(49.1)));
        assert_eq!(d.max, Some(serde_json::json!(52.0)));
    }

    #[test]
    fn space_thousands_are_integers() {
        let d = decide(&["4 257", "267", "32 215"]).unwrap();
        assert!(d.integer);
        assert_eq!(d.format.as_deref(), Some("thousands_space"));
        assert_eq!(d.min, Some(Value::from(267)));
        assert_eq!(d.max, Some(Value::from(32215)));
    }

    #[test]
    fn ambiguous_comma_is_settled_by_the_column() {
        // Alone, 1,234 reads as a decimal comma.
        let d = decide(&["1,234", "5,678"]).unwrap();
        assert_eq!(d.format.as_deref(), Some("decimal_comma"));
        assert_eq!(d.max, Some(serde_json::json!(5.678)));
        // 0,25 shows the comma is decimal.
        let d = decide(&["1,234", "0,25"]).unwrap();
        assert_eq!(d.min, Some(serde_json::json!(0.25)));
        // A decimal point elsewhere makes it a thousands separator.
        let d = decide(&["1,234", "1.5"]).unwrap();
        assert_eq!(d.format.as_deref(), Some("thousands_comma"));
        assert_eq!(d.max, Some(serde_json::json!(1234.0)));
        // 1.234 beside a decimal comma groups thousands.
        let d = decide(&["1.234", "0,5"]).unwrap();
        assert_eq!(d.format.as_deref(), Some("decimal_comma+thousands_dot"));
        assert_eq!(d.max, Some(serde_json::json!(1234.0)));
        // Decimal point and decimal comma in one column: not numbers.
        assert!(decide(&["0,25", "1.5"]).is_none());
    }

    #[test]
    fn comma_thousands_with_decimal_point() {
        let d = decide(&[
            "100,000.00",
            "300,000.20",
            "300,000,000.40",
            "50",
            "9999999999.20",
        ])
        .unwrap();
        assert!(!d.integer);
        assert_eq!(d.format.as_deref(), Some("thousands_comma"));
        assert_eq!(d.min, Some(serde_json::json!(50.0)));
        assert_eq!(d.max, Some(serde_json::json!(9999999999.2)));
    }

    #[test]
    fn signs_and_exponents() {
        let d = decide(&["1,1", "0,25", "1,53e4", "+1,53e4", "-1,53e4"]).unwrap();
        assert_eq!(d.format.as_deref(), Some("decimal_comma"));
        assert_eq!(d.min, Some(serde_json::json!(-15300.0)));
        assert_eq!(d.max, Some(serde_json::json!(15300.0)));
        let d = decide(&["1.1", "0.25", "1.53e4", "+1.53e4", "-1.53e4"]).unwrap();
        assert_eq!(d.format, None);
        assert!(!d.integer);
    }

    #[test]
    fn leading_zeros_and_phones_are_codes() {
        for code in ["01004", "007", "00", "+318855443322", "0 257", "01,5"] {
            assert!(!state(&[code]).0, "{code}");
        }
        for ok in ["0", "0,5", "0.5", "-0.25", "+15", "10"] {
            assert!(state(&[ok]).0, "{ok}");
        }
    }

    #[test]
    fn big_integers_stay_integers_and_huge_ones_strings() {
        let d = decide(&["12", "123456789012345678901234"]).unwrap();
        assert!(d.integer);
        // An f64 would round the range: none is given.
        assert_eq!((d.min, d.max), (None, None));
        let d = decide(&["12", "1.5", "123456789012345678901234"]).unwrap();
        assert!(!d.integer);
        assert_eq!(d.max, Some(serde_json::json!(1.2345678901234568e23)));
        let d = decide(&["-9223372036854775808", "9223372036854775807"]).unwrap();
        assert!(d.integer);
        assert_eq!(d.min, Some(Value::from(i64::MIN)));
        let huge = format!("1{}", "0".repeat(320));
        assert!(!state(&[huge.as_str()]).0);
        assert!(!state(&["1e999"]).0);
    }

    #[test]
    fn reads_cells_back_under_the_format() {
        assert_eq!(
            typed_number("51,6", Some("decimal_comma"), false),
            Some(serde_json::json!(51.6))
        );
        assert_eq!(
            typed_number("4 257", Some("thousands_space"), true),
            Some(Value::from(4257))
        );
        assert_eq!(
            typed_number("1.234,5", Some("decimal_comma+thousands_dot"), false),
            Some(serde_json::json!(1234.5))
        );
        assert_eq!(
            typed_number("100,000.00", Some("thousands_comma"), false),
            Some(serde_json::json!(100000.0))
        );
        assert_eq!(typed_number("12", None, true), Some(Value::from(12)));
        assert_eq!(typed_number("abc", None, true), None);
    }

    #[test]
    fn years() {
        assert!(is_year_text("1431"));
        assert!(is_year_text("2100"));
        assert!(!is_year_text("2101"));
        assert!(!is_year_text("999"));
        assert!(!is_year_text("0999"));
    }
}
