//! The profile of one field: what the catalog UI shows as a schema row.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Frictionless Table Schema type.
///
/// The type is one that holds for every non-null value of the whole source,
/// not for a head sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Time,
    Year,
    Geopoint,
    Geojson,
    Object,
    Array,
    /// No non-null value was seen, so nothing can be said.
    Any,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Time => "time",
            FieldType::Year => "year",
            FieldType::Geopoint => "geopoint",
            FieldType::Geojson => "geojson",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::Any => "any",
        }
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One frequent value of a low-cardinality field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopValue {
    pub value: Value,
    pub count: u64,
}

/// Everything the profiler learnt about one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldProfile {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// How the values are written when the type alone does not say it: a date
    /// pattern such as `%d/%m/%Y`, `decimal_comma`, `email`, `fr_postal_code`...
    pub format: Option<String>,
    pub null_count: u64,
    pub distinct_count: u64,
    /// True once the number of distinct values passed the exact-count cap and
    /// `distinct_count` comes from a cardinality estimator.
    pub distinct_estimated: bool,
    /// Smallest value, in the field's type (numbers as numbers, dates as ISO
    /// text, strings by byte order).
    pub min: Option<Value>,
    pub max: Option<Value>,
    /// A few distinct non-null values, as written in the source.
    pub examples: Vec<Value>,
    /// Most frequent values with their counts, for low-cardinality fields.
    pub top_values: Option<Vec<TopValue>>,
}
