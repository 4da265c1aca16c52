//! A coarse shape of one cell, for telling a header row from a data row.
//!
//! This is deliberately not type inference (that is [`crate::infer`]'s
//! job): it only needs to see that `CODGEO` is text where the column below
//! holds `01004`, or that `2000-12-12` is a date where the column holds
//! dates.

/// What a cell looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellShape {
    /// Empty, white space, or a usual null token (`NA`, `nd`, `-`...).
    Empty,
    /// Digits with an optional sign (and space-separated thousands).
    Integer,
    /// A number with a decimal point or comma, or an exponent.
    Decimal,
    /// A date, a time or a date-time in a common numeric layout.
    DateLike,
    Text,
}

impl CellShape {
    /// Integer or decimal.
    pub fn is_numeric(self) -> bool {
        matches!(self, CellShape::Integer | CellShape::Decimal)
    }

    /// A typed shape (number or date), as opposed to text or empty.
    pub fn is_typed(self) -> bool {
        self.is_numeric() || self == CellShape::DateLike
    }

    /// Whether a cell of this shape fits a column of shape `column`.
    pub fn fits(self, column: CellShape) -> bool {
        (self.is_numeric() && column.is_numeric()) || (self == column && self.is_typed())
    }
}

/// Classifies one cell.
pub fn classify(cell: &str) -> CellShape {
    let cell = cell.trim();
    if is_null_token(cell) {
        CellShape::Empty
    } else if let Some(shape) = number_shape(cell) {
        shape
    } else if is_date_like(cell) {
        CellShape::DateLike
    } else {
        CellShape::Text
    }
}

fn is_null_token(cell: &str) -> bool {
    const NULLS: &[&str] = &[
        "", "-", "--", ".", "na", "n/a", "nd", "n.d.", "null", "none", "nan", "#n/a",
    ];
    cell.len() <= 5 && NULLS.iter().any(|null| cell.eq_ignore_ascii_case(null))
}

/// `Some(Integer)` for `12`, `-3`, `4 257`; `Some(Decimal)` for `51,6`,
/// `1.53e4`, `100,000.00`; `None` for anything else.
fn number_shape(cell: &str) -> Option<CellShape> {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let mut digits = 0usize;
    let mut separators = 0usize;
    let mut previous_digit = false;
    for ch in mantissa.chars() {
        match ch {
            '0'..='9' => {
                digits += 1;
                previous_digit = true;
            }
            // A separator (decimal or thousands) must follow a digit.
            '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' if previous_digit => {
                if ch == '.' || ch == ',' {
                    separators += 1;
                }
                previous_digit = false;
            }
            _ => return None,
        }
    }
    if digits == 0 || !previous_digit {
        return None;
    }
    if separators > 0 || exponent.is_some() {
        Some(CellShape::Decimal)
    } else {
        Some(CellShape::Integer)
    }
}

/// `13/10/2021`, `2000-12-13`, `2000.01.01 12:12:00`, `12:12:12`,
/// `2023-05-10T09:46:18.111000`, `2024-01-01T00:00:00+01:00`.
fn is_date_like(cell: &str) -> bool {
    let (date, time) = match cell.find([' ', 'T']) {
        Some(at) => (&cell[..at], Some(cell[at + 1..].trim_start())),
        None => (cell, None),
    };
    if is_time(date) && time.is_none() {
        return true;
    }
    is_date(date) && time.is_none_or(is_time)
}

fn is_date(text: &str) -> bool {
    let Some(sep) = text.chars().find(|c| matches!(c, '-' | '/' | '.')) else {
        return false;
    };
    let parts: Vec<&str> = text.split(sep).collect();
    if parts.len() != 3 || !parts.iter().all(|p| all_digits(p)) {
        return false;
    }
    let lens = [parts[0].len(), parts[1].len(), parts[2].len()];
    matches!(lens, [4, 1..=2, 1..=2]) || matches!(lens, [1..=2, 1..=2, 2 | 4])
}

fn is_time(text: &str) -> bool {
    // Drop a zone suffix (Z, +01:00, -0500) and fractional seconds.
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let text = match text.rfind(['+', '-']) {
        Some(at) if at >= 5 => &text[..at],
        _ => text,
    };
    let text = text.split('.').next().unwrap_or(text);
    let parts: Vec<&str> = text.split(':').collect();
    (2..=3).contains(&parts.len()) && parts.iter().all(|p| all_digits(p) && p.len() <= 2)
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::CellShape::*;
    use super::*;

    #[test]
    fn shapes() {
        for (cell, shape) in [
            ("", Empty),
            ("  ", Empty),
            ("NA", Empty),
            ("nd", Empty),
            ("12", Integer),
            ("09001", Integer),
            ("+318855443322", Integer),
            ("4 257", Integer),
            ("51,6", Decimal),
            ("-1,53e4", Decimal),
            ("100,000.00", Decimal),
            ("345.0", Decimal),
            ("2000-12-13", DateLike),
            ("13/10/2021", DateLike),
            ("2000.01.01 12:12:00", DateLike),
            ("12:12:12", DateLike),
            ("2023-05-10T09:46:18.111000", DateLike),
            ("2024-01-01T00:00:00+01:00", DateLike),
            ("CODGEO", Text),
            ("T", Text),
            ("A101", Text),
            ("005+290", Text),
            ("1,", Text),
            ("e5", Text),
            ("47.655039001,7.0935498603", Decimal),
        ] {
            assert_eq!(classify(cell), shape, "{cell:?}");
        }
    }

    #[test]
    fn fits() {
        assert!(Integer.fits(Decimal));
        assert!(DateLike.fits(DateLike));
        assert!(!Text.fits(Text));
        assert!(!Integer.fits(DateLike));
    }
}
