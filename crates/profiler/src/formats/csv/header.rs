//! Is the table's first row a header, and what are the field names.
//!
//! The first row is compared with the columns below it, cell shape against
//! column shape:
//! - a text cell above a numeric or date column (`CODGEO` over `01004`) is
//!   a header;
//! - otherwise a number or a date above a column of the same shape is data;
//! - with no typed column at all, the row is a header (the DuckDB
//!   convention for `name` / `Pedro`), unless each of its values also occurs
//!   in its column below (`T` above 2,449 more `T`): then it is data.

use std::collections::{HashMap, HashSet};

use super::shape::{self, CellShape};

/// Share of a column's non-empty cells that must share a shape for the
/// column to have it.
const COLUMN_SHAPE_SHARE: f64 = 0.9;

/// Decides whether `first` is a header, given the rows below it.
pub fn has_header(first: &[String], body: &[Vec<String>]) -> bool {
    let first_shapes: Vec<CellShape> = first.iter().map(|c| shape::classify(c)).collect();
    if body.is_empty() {
        return !first_shapes.iter().any(|s| s.is_typed());
    }
    let columns: Vec<Option<CellShape>> = (0..first.len()).map(|i| column_shape(body, i)).collect();
    let typed = |i: usize| columns[i].is_some_and(CellShape::is_typed);
    let text_over_typed = (0..first.len()).any(|i| first_shapes[i] == CellShape::Text && typed(i));
    if text_over_typed {
        return true;
    }
    let typed_over_typed =
        (0..first.len()).any(|i| columns[i].is_some_and(|column| first_shapes[i].fits(column)));
    if typed_over_typed {
        return false;
    }
    !repeats_values_below(first, body)
}

/// The shape most non-empty cells of column `index` share, `Text` when none
/// dominates, `None` when the column is empty.
fn column_shape(body: &[Vec<String>], index: usize) -> Option<CellShape> {
    let (mut filled, mut numeric, mut dates) = (0usize, 0usize, 0usize);
    for cell in body.iter().filter_map(|row| row.get(index)) {
        match shape::classify(cell) {
            CellShape::Empty => {}
            s => {
                filled += 1;
                numeric += usize::from(s.is_numeric());
                dates += usize::from(s == CellShape::DateLike);
            }
        }
    }
    if filled == 0 {
        return None;
    }
    let share = |n: usize| n as f64 / filled as f64;
    Some(if share(numeric) >= COLUMN_SHAPE_SHARE {
        CellShape::Decimal
    } else if share(dates) >= COLUMN_SHAPE_SHARE {
        CellShape::DateLike
    } else {
        CellShape::Text
    })
}

/// True when every non-empty cell of `first` is also a value of its column
/// below (and there is at least one).
fn repeats_values_below(first: &[String], body: &[Vec<String>]) -> bool {
    let mut any = false;
    for (i, cell) in first.iter().enumerate() {
        if shape::classify(cell) == CellShape::Empty {
            continue;
        }
        any = true;
        if !body.iter().any(|row| row.get(i) == Some(cell)) {
            return false;
        }
    }
    any
}

/// Items listed in one warning; the rest are counted.
const LISTED: usize = 20;

/// `a, b, c` for a few items, `a, b, ... and 980 more` for many.
fn short_list(items: &[String]) -> String {
    if items.len() <= LISTED {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..LISTED].join(", "),
        items.len() - LISTED
    )
}

/// Field names and the warnings their repair deserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    pub names: Vec<String>,
    pub warnings: Vec<String>,
}

/// Names from a header row: trimmed, BOM removed, empty names replaced by
/// `column{index}`, duplicates suffixed `_2`, `_3`...
pub fn header_names(cells: &[String]) -> FieldNames {
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    // Every name taken so far, and for each base the next suffix to try:
    // a header of thousands of equal names stays linear.
    let mut taken: HashSet<String> = HashSet::with_capacity(cells.len());
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut empty = Vec::new();
    let mut renamed = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        let name = cell.trim_start_matches('\u{feff}').trim();
        let base = if name.is_empty() {
            empty.push(index);
            format!("column{index}")
        } else {
            name.to_owned()
        };
        let mut unique = base.clone();
        if taken.contains(&unique) {
            let suffix = next_suffix.entry(base.clone()).or_insert(2);
            loop {
                unique = format!("{base}_{suffix}");
                *suffix += 1;
                if !taken.contains(&unique) {
                    break;
                }
            }
            renamed.push(format!("{base} -> {unique}"));
        }
        taken.insert(unique.clone());
        names.push(unique);
    }
    let mut warnings = Vec::new();
    if !empty.is_empty() {
        let list: Vec<String> = empty.iter().map(|i| format!("column{i}")).collect();
        warnings.push(format!(
            "{} empty header name{} replaced: {}",
            empty.len(),
            if empty.len() == 1 { "" } else { "s" },
            short_list(&list)
        ));
    }
    if !renamed.is_empty() {
        warnings.push(format!(
            "duplicate header names renamed: {}",
            short_list(&renamed)
        ));
    }
    FieldNames { names, warnings }
}

/// Names for a table without a header: `column0`, `column1`...
pub fn positional_names(field_count: usize) -> Vec<String> {
    (0..field_count).map(|i| format!("column{i}")).collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn thousands_of_equal_names_stay_linear_and_the_warning_short() {
        let cells = vec!["x".to_owned(); 20_000];
        let named = header_names(&cells);
        assert_eq!(named.names.len(), 20_000);
        assert_eq!(named.names[1], "x_2");
        assert_eq!(named.names[19_999], "x_20000");
        let unique: std::collections::HashSet<&String> = named.names.iter().collect();
        assert_eq!(unique.len(), 20_000);
        assert!(
            named.warnings[0].ends_with("x -> x_21 and 19979 more"),
            "{}",
            named.warnings[0]
        );
        let named = header_names(&["a".into(), "a_2".into(), "a".into()]);
        assert_eq!(named.names, ["a", "a_2", "a_3"]);
    }
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn text_over_numbers_is_a_header() {
        let body = vec![row(&["09001", "0"]), row(&["09002", "6"])];
        assert!(has_header(&row(&["CODGEO", "NAISD14"]), &body));
        // Even when another header cell looks like a number (a year).
        assert!(has_header(&row(&["CODGEO", "2019"]), &body));
    }

    #[test]
    fn data_first_rows() {
        let body = vec![row(&["345.0", "TEST1", "2000-12-13"])];
        assert!(!has_header(&row(&["123.0", "TEST1", "2000-12-12"]), &body));
        let ints = vec![row(&["4", "5", "6"]), row(&["7", "8", "9"])];
        assert!(!has_header(&row(&["1", "2", "3"]), &ints));
        assert!(!has_header(&row(&["05/06/2019"]), &[]));
    }

    #[test]
    fn all_text_columns() {
        assert!(has_header(&row(&["name"]), &[row(&["Pedro"])]));
        let mut body = vec![row(&["T"]); 2448];
        body.push(row(&["gluglu ieie"]));
        assert!(!has_header(&row(&["T"]), &body));
        assert!(has_header(&row(&["a", "b", "c"]), &[]));
    }

    #[test]
    fn names_are_repaired() {
        let names = header_names(&row(&["\u{feff}id", " name ", "", "name", "name"]));
        assert_eq!(
            names.names,
            row(&["id", "name", "column2", "name_2", "name_3"])
        );
        assert_eq!(
            names.warnings,
            row(&[
                "1 empty header name replaced: column2",
                "duplicate header names renamed: name -> name_2, name -> name_3"
            ])
        );
        assert_eq!(positional_names(2), row(&["column0", "column1"]));
    }
}
