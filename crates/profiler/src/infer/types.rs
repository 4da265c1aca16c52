//! Which types a column's values still allow, and the final decision.
//!
//! Each candidate type is a bit; every value clears the bits it does not
//! fit, so the type reported holds for every non-null value, however late
//! the breaker comes. Alongside, each candidate keeps only what it needs
//! to be reported (number conventions and ranges, date patterns and
//! ranges, boolean values seen, identifier formats), never the values.
//! Once only `string` is left and no identifier format is possible, a
//! value costs nothing here.

use dataprof_model::FieldType;
use serde_json::Value;

use super::codes::{
    F_ALL, F_DEPARTEMENT, F_DIGITS9, F_DIGITS14, F_EMAIL, F_INSEE, F_POSTAL, F_SIREN, F_SIRET,
    F_UAI, F_URI, F_UUID, formats_of,
};
use super::dates::{
    COMPACT, DATE_PATTERNS, DateState, DateTimeState, TimeState, read_date, read_datetime,
    read_time,
};
use super::geo::{JsonText, geopoint_array, is_geometry, read_geopoint, read_json_text};
use super::names::NameHints;
use super::numbers::{NumberState, is_year_text};
use super::tokens::{bool_digit, bool_word};

const NUMERIC: u16 = 1 << 0;
const BOOLEAN: u16 = 1 << 1;
const DATE: u16 = 1 << 2;
const DATETIME: u16 = 1 << 3;
const TIME: u16 = 1 << 4;
const YEAR: u16 = 1 << 5;
const GEOPOINT: u16 = 1 << 6;
const GEOJSON: u16 = 1 << 7;
const OBJECT: u16 = 1 << 8;
const ARRAY: u16 = 1 << 9;
const ALL: u16 = (1 << 10) - 1;

/// Distinct values from which 9-digit Luhn-valid values are taken for
/// SIREN numbers without the name saying so (a chance match of all of
/// them is below 1e-10).
const SIREN_WITHOUT_NAME_MIN_DISTINCT: u64 = 10;

/// Candidate types of one column and what each needs to be reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypeState {
    /// Candidate types other than `string`, which is always possible.
    alive: u16,
    /// Identifier formats every value matches.
    formats: u16,
    numbers: NumberState,
    dates: DateState,
    datetimes: DateTimeState,
    times: TimeState,
    seen_true: bool,
    seen_false: bool,
    geopoint_text: bool,
    geopoint_array: bool,
}

/// The type decided for a column, with its format and range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub field_type: FieldType,
    pub format: Option<String>,
    pub min: Option<Value>,
    pub max: Option<Value>,
}

impl Default for TypeState {
    fn default() -> Self {
        TypeState {
            alive: ALL,
            formats: F_ALL,
            numbers: NumberState::default(),
            dates: DateState::default(),
            datetimes: DateTimeState::default(),
            times: TimeState::default(),
            seen_true: false,
            seen_false: false,
            geopoint_text: false,
            geopoint_array: false,
        }
    }
}

impl TypeState {
    /// A trimmed, non-null text cell.
    pub(crate) fn observe_text(&mut self, t: &str, hints: &NameHints) {
        if self.alive == 0 && self.formats == 0 {
            return;
        }
        let alive = self.alive;
        let first = t.as_bytes().first().copied().unwrap_or(0);
        let digit_first = first.is_ascii_digit();
        let mut fits = 0;
        if alive & NUMERIC != 0 && self.numbers.observe_text(t) {
            fits |= NUMERIC;
        }
        if alive & YEAR != 0 && is_year_text(t) {
            fits |= YEAR;
        }
        if alive & BOOLEAN != 0 {
            let flag_digit = if hints.flag { bool_digit(t) } else { None };
            if let Some(b) = bool_word(t).or(flag_digit) {
                self.seen_true |= b;
                self.seen_false |= !b;
                fits |= BOOLEAN;
            }
        }
        if digit_first {
            fits |= self.observe_temporal(t, alive, true);
        }
        if alive & GEOPOINT != 0
            && (digit_first || first == b'-' || first == b'+')
            && read_geopoint(t).is_some()
        {
            self.geopoint_text = true;
            fits |= GEOPOINT;
        }
        if alive & (GEOJSON | OBJECT | ARRAY) != 0 {
            match read_json_text(t).map(|(kind, _)| kind) {
                Some(JsonText::Geometry) => fits |= GEOJSON | OBJECT,
                Some(JsonText::Object) => fits |= OBJECT,
                Some(JsonText::Array) => fits |= ARRAY,
                None => {}
            }
        }
        self.alive &= fits;
        if self.formats != 0 {
            self.formats &= formats_of(t, self.formats);
        }
    }

    /// Date, datetime and time readings of a digit-first value.
    fn observe_temporal(&mut self, t: &str, alive: u16, allow_compact: bool) -> u16 {
        let mut fits = 0;
        if alive & DATE != 0 {
            let readings = read_date(t);
            let compact_only = readings.mask() == 1 << COMPACT;
            if (allow_compact || !compact_only) && self.dates.observe(&readings) {
                fits |= DATE;
            }
        }
        if alive & DATETIME != 0
            && let Some(reading) = read_datetime(t)
            && self.datetimes.observe(&reading)
        {
            fits |= DATETIME;
        }
        if alive & TIME != 0
            && let Some(reading) = read_time(t)
        {
            self.times.observe(&reading);
            fits |= TIME;
        }
        fits
    }

    /// A trimmed, non-null JSON string: read for dates, times, geopoints,
    /// geometries and identifier formats, but digits stay a string (the
    /// publisher quoted them) and so does `"true"`.
    pub(crate) fn observe_json_string(&mut self, t: &str) {
        if self.alive == 0 && self.formats == 0 {
            return;
        }
        let alive = self.alive;
        let first = t.as_bytes().first().copied().unwrap_or(0);
        let mut fits = 0;
        if first.is_ascii_digit() {
            fits |= self.observe_temporal(t, alive, false);
        }
        if alive & GEOPOINT != 0 && read_geopoint(t).is_some() {
            self.geopoint_text = true;
            fits |= GEOPOINT;
        }
        if alive & GEOJSON != 0 && matches!(read_json_text(t), Some((JsonText::Geometry, _))) {
            fits |= GEOJSON;
        }
        self.alive &= fits;
        if self.formats != 0 {
            self.formats &= formats_of(t, self.formats);
        }
    }

    /// A JSON value that is not a string and not null.
    pub(crate) fn observe_json(&mut self, value: &Value, hints: &NameHints) {
        self.formats = 0;
        let fits = match value {
            Value::Bool(b) => {
                self.seen_true |= *b;
                self.seen_false |= !*b;
                BOOLEAN
            }
            Value::Number(n) => {
                let mut fits = NUMERIC;
                if self.alive & NUMERIC != 0 {
                    self.numbers.observe_json(n);
                }
                let int = n.as_i64();
                if int.is_some_and(|i| (1000..=2100).contains(&i)) {
                    fits |= YEAR;
                }
                if hints.flag
                    && let Some(b @ (0 | 1)) = int
                {
                    self.seen_true |= b == 1;
                    self.seen_false |= b == 0;
                    fits |= BOOLEAN;
                }
                fits
            }
            Value::Array(items) => match geopoint_array(items) {
                Some(_) if !hints.coordinates => {
                    self.geopoint_array = true;
                    GEOPOINT | ARRAY
                }
                _ => ARRAY,
            },
            Value::Object(o) if is_geometry(o) => GEOJSON | OBJECT,
            Value::Object(_) => OBJECT,
            Value::Null | Value::String(_) => 0,
        };
        self.alive &= fits;
    }

    /// `NaN`: a null if the column is numeric, otherwise a string value.
    pub(crate) fn observe_nan(&mut self) {
        self.alive &= NUMERIC;
        self.formats = 0;
    }

    pub(crate) fn merge(&mut self, o: &TypeState) {
        self.alive &= o.alive;
        self.formats &= o.formats;
        self.numbers.merge(&o.numbers);
        self.dates.merge(&o.dates);
        self.datetimes.merge(&o.datetimes);
        self.times.merge(&o.times);
        self.seen_true |= o.seen_true;
        self.seen_false |= o.seen_false;
        self.geopoint_text |= o.geopoint_text;
        self.geopoint_array |= o.geopoint_array;
    }

    /// The identifier format of the column, if every value has it and,
    /// for shapes that are not self-evident, the name agrees.
    fn code_format(&self, hints: &NameHints, distinct: u64) -> Option<&'static str> {
        let f = self.formats;
        let rules: [(u16, bool, &'static str); 9] = [
            (F_UUID, true, "uuid"),
            (F_EMAIL, true, "email"),
            (F_URI, true, "uri"),
            (F_SIRET, true, "siret"),
            (
                F_SIREN,
                hints.siren || distinct >= SIREN_WITHOUT_NAME_MIN_DISTINCT,
                "siren",
            ),
            (F_UAI, true, "uai"),
            (F_POSTAL, hints.postal, "fr_postal_code"),
            (F_INSEE, hints.insee, "fr_commune_insee"),
            (F_DEPARTEMENT, hints.departement, "fr_departement"),
        ];
        rules
            .into_iter()
            .find(|(bit, ok, _)| f & bit != 0 && *ok)
            .map(|(_, _, name)| name)
    }

    /// Whether digit values are really codes: a recognised identifier, or
    /// 14/9 digits in a column named SIRET/SIREN (check digit or not).
    fn digits_are_codes(&self, hints: &NameHints, distinct: u64) -> bool {
        self.code_format(hints, distinct).is_some()
            || (hints.siret && self.formats & F_DIGITS14 != 0)
            || (hints.siren && self.formats & F_DIGITS9 != 0)
    }

    /// Decides the type. `has_values`: some non-null value other than
    /// `NaN` was seen; `nan_seen`: some `NaN` was.
    pub(crate) fn decide(
        &self,
        hints: &NameHints,
        distinct: u64,
        string_range: (Option<&str>, Option<&str>),
        has_values: bool,
        nan_seen: bool,
    ) -> Decision {
        let decision = |field_type, format: Option<String>, (min, max)| Decision {
            field_type,
            format,
            min,
            max,
        };
        if !has_values {
            let field_type = if nan_seen {
                FieldType::Number
            } else {
                FieldType::Any
            };
            return decision(field_type, None, (None, None));
        }
        let a = self.alive;
        if a & BOOLEAN != 0 {
            let min = Some(Value::Bool(!self.seen_false));
            let max = Some(Value::Bool(self.seen_true));
            return decision(FieldType::Boolean, None, (min, max));
        }
        if a & NUMERIC != 0
            && let Some(number) = self.numbers.decide()
        {
            if self.digits_are_codes(hints, distinct) {
                let format = self.code_format(hints, distinct).map(str::to_owned);
                return decision(FieldType::String, format, string_values(string_range));
            }
            if a & DATE != 0 && hints.date && self.dates.decide(true) == Some(COMPACT) {
                let format = Some(DATE_PATTERNS[COMPACT].to_owned());
                return decision(FieldType::Date, format, self.dates.range(COMPACT));
            }
            let field_type = if number.integer && a & YEAR != 0 && hints.year {
                FieldType::Year
            } else if number.integer {
                FieldType::Integer
            } else {
                FieldType::Number
            };
            let format = if field_type == FieldType::Year {
                None
            } else {
                number.format
            };
            return decision(field_type, format, (number.min, number.max));
        }
        if a & DATE != 0
            && let Some(p) = self.dates.decide(false)
        {
            let format = Some(DATE_PATTERNS[p].to_owned());
            return decision(FieldType::Date, format, self.dates.range(p));
        }
        if a & DATETIME != 0
            && let Some((slot, format)) = self.datetimes.decide()
        {
            return decision(
                FieldType::Datetime,
                Some(format),
                self.datetimes.range(slot),
            );
        }
        if a & TIME != 0 {
            return decision(
                FieldType::Time,
                Some(self.times.format()),
                self.times.range(),
            );
        }
        if a & GEOPOINT != 0 {
            let format = if self.geopoint_text {
                "lat,lon"
            } else {
                "[lat,lon]"
            };
            return decision(FieldType::Geopoint, Some(format.to_owned()), (None, None));
        }
        for (bit, field_type) in [
            (GEOJSON, FieldType::Geojson),
            (OBJECT, FieldType::Object),
            (ARRAY, FieldType::Array),
        ] {
            if a & bit != 0 {
                return decision(field_type, None, (None, None));
            }
        }
        let format = self.code_format(hints, distinct).map(str::to_owned);
        decision(FieldType::String, format, string_values(string_range))
    }
}

fn string_values((min, max): (Option<&str>, Option<&str>)) -> (Option<Value>, Option<Value>) {
    (min.map(Value::from), max.map(Value::from))
}
