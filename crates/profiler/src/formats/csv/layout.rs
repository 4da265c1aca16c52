//! Where the table starts: title and note lines above it are skipped.
//!
//! Open-data exports often put a title, a source note or a blank line above
//! the header. The table's field count is the most frequent one among the
//! sample's rows; the table starts at the first row with that count that is
//! not a padded title (`Titre;;;;`). A preamble needs evidence: at least two
//! rows from that start, otherwise the file starts at its first row and the
//! odd rows are ragged records.

use super::sample::RowShape;

/// The table found in a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableLocation {
    /// Index (in the sample's rows) of the header or first record.
    pub start: usize,
    /// Index of the first row after the table: notes below it
    /// (`Source : INSEE`) and empty rows are not records.
    pub end: usize,
    /// The most frequent field count.
    pub field_count: usize,
    /// Share of rows from `start` with exactly `field_count` fields.
    pub consistency: f64,
    /// Share of rows from `start` with more than one field.
    pub multi_field: f64,
}

impl TableLocation {
    /// True when the rows are split in a meaningful way: more than one field
    /// in nearly every row, with one count dominating.
    pub fn is_delimited(&self) -> bool {
        self.field_count >= 2 && self.multi_field >= 0.9 && self.consistency >= 0.5
    }

    /// Consistency in coarse steps, so that a handful of ragged rows does
    /// not outweigh a larger field count between two candidates.
    pub fn consistency_bucket(&self) -> u8 {
        const STEPS: [f64; 5] = [0.98, 0.9, 0.8, 0.7, 0.5];
        let below = STEPS.iter().filter(|&&s| self.consistency < s).count();
        (STEPS.len() - below) as u8
    }
}

/// Finds the table in the sample's rows; `None` when every row is blank.
pub fn locate(rows: &[RowShape]) -> Option<TableLocation> {
    let filled: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].blank).collect();
    let first = *filled.first()?;
    let field_count = most_frequent_count(filled.iter().map(|&i| rows[i].fields));
    let typical = typical_filled_cells(rows, field_count);
    // A title, or a spreadsheet's metadata row padded to the table's width
    // (`Date d'export :;12/03/2024;;;` over five columns): far fewer
    // filled cells than the table's rows.
    let is_title =
        |row: &RowShape| field_count >= 3 && (row.non_empty <= 1 || row.non_empty * 2 < typical);
    let mut start = filled
        .iter()
        .copied()
        .find(|&i| rows[i].fields == field_count && !is_title(&rows[i]))
        .unwrap_or(first);
    if start != first {
        // A header one field short of rows that all end with a delimiter.
        let before = filled.iter().copied().rev().find(|&i| i < start);
        if let Some(before) = before {
            let trailing_delimiter = filled
                .iter()
                .filter(|&&i| i >= start)
                .all(|&i| rows[i].last_empty);
            if rows[before].fields + 1 == field_count && trailing_delimiter && field_count > 2 {
                start = before;
            }
        }
        // A preamble is only believed with a header and a row below it.
        if filled.iter().filter(|&&i| i >= start).count() < 2 {
            start = first;
        }
    }
    Some(measure(rows, start, field_count))
}

/// The same table without its preamble: starting at the first row.
pub fn without_preamble(rows: &[RowShape], table: &TableLocation) -> TableLocation {
    let first = rows.iter().position(|r| !r.blank).unwrap_or(0);
    measure(rows, first, table.field_count)
}

/// Whether exactly one row above `table.start` was taken for a preamble:
/// a title, or the header of a table this syntax splits wrongly.
pub fn has_one_row_preamble(rows: &[RowShape], table: &TableLocation) -> bool {
    rows[..table.start].iter().filter(|r| !r.blank).count() == 1
}

/// The table of `field_count` fields from row `start`.
fn measure(rows: &[RowShape], start: usize, field_count: usize) -> TableLocation {
    let filled: Vec<usize> = (0..rows.len()).filter(|&i| !rows[i].blank).collect();
    let end = notes_start(rows, start, field_count);
    let table: Vec<&RowShape> = filled
        .iter()
        .filter(|&&i| i >= start && i < end)
        .map(|&i| &rows[i])
        .collect();
    let total = table.len() as f64;
    let same = table.iter().filter(|r| r.fields == field_count).count() as f64;
    let multi = table.iter().filter(|r| r.fields > 1).count() as f64;
    TableLocation {
        start,
        end,
        field_count,
        consistency: same / total.max(1.0),
        multi_field: multi / total.max(1.0),
    }
}

/// The median count of filled cells among rows of `field_count` fields.
fn typical_filled_cells(rows: &[RowShape], field_count: usize) -> usize {
    let mut filled: Vec<usize> = rows
        .iter()
        .filter(|r| !r.blank && r.fields == field_count)
        .map(|r| r.non_empty)
        .collect();
    if filled.is_empty() {
        return 0;
    }
    let middle = filled.len() / 2;
    *filled.select_nth_unstable(middle).1
}

/// Whether a row below the table is a note rather than a record: only its
/// first cell is filled, and either empty lines separate it from the
/// table, or it is shorter than the table's rows in a table of three
/// fields or more (where a one-cell record would be odd).
pub fn is_note(first_only: bool, fields: usize, field_count: usize, after_gap: bool) -> bool {
    first_only && field_count >= 2 && (after_gap || (field_count >= 3 && fields < field_count))
}

/// Where the notes and empty rows at the end of the rows begin (the rows'
/// length when there are none). The header or first record at `start`
/// always stays in the table.
fn notes_start(rows: &[RowShape], start: usize, field_count: usize) -> usize {
    let mut begin = rows.len();
    while begin > start + 1 {
        let row = &rows[begin - 1];
        if row.blank || (row.first_only && row.fields <= field_count) {
            begin -= 1;
        } else {
            break;
        }
    }
    // Forward, each candidate must be a note given what comes above it:
    // the notes start after the last one that is not.
    let candidates = begin;
    let mut gap = false;
    for (i, row) in rows.iter().enumerate().skip(candidates) {
        gap |= row.gap_before || row.blank;
        if !row.blank && !is_note(row.first_only, row.fields, field_count, gap) {
            begin = i + 1;
            gap = false;
        }
    }
    begin
}

/// The mode of the counts; on a tie the larger count (a preamble has fewer
/// fields than the table below it).
fn most_frequent_count(counts: impl Iterator<Item = usize>) -> usize {
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for count in counts {
        match tally.iter_mut().find(|(c, _)| *c == count) {
            Some((_, n)) => *n += 1,
            None => tally.push((count, 1)),
        }
    }
    tally
        .into_iter()
        .max_by_key(|&(count, n)| (n, count))
        .map_or(1, |(count, _)| count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(counts: &[(usize, usize)]) -> Vec<RowShape> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &(fields, non_empty))| RowShape {
                fields,
                non_empty,
                last_empty: false,
                blank: non_empty == 0,
                first_only: non_empty == 1,
                gap_before: false,
                offset: i as u64 * 10,
            })
            .collect()
    }

    #[test]
    fn preamble_lines_above_the_table() {
        // A12: two notes (1 and 2 fields) above a 3-field table.
        let table = locate(&rows(&[(1, 1), (2, 2), (3, 3), (3, 3)])).expect("table");
        assert_eq!((table.start, table.field_count), (2, 3));
        // A16: 3, 4, 3 fields and blank lines above a 5-field table.
        let table = locate(&rows(&[(3, 3), (4, 4), (3, 3), (5, 5), (5, 5)])).expect("table");
        assert_eq!((table.start, table.field_count), (3, 5));
        assert!(table.is_delimited());
    }

    #[test]
    fn padded_titles_are_skipped() {
        let table =
            locate(&rows(&[(4, 1), (4, 1), (4, 4), (4, 4), (4, 3), (4, 4)])).expect("table");
        assert_eq!(table.start, 2);
    }

    #[test]
    fn a_lone_ragged_row_is_not_a_table_below_a_preamble() {
        // A24: a 4-name header, one 5-value row.
        let table = locate(&rows(&[(4, 4), (5, 5)])).expect("table");
        assert_eq!(table.start, 0);
        assert!(table.is_delimited());
    }

    #[test]
    fn inconsistent_counts_are_not_delimited() {
        // A09 split on ',': 2, 2, 3, 1, 1 fields.
        let table = locate(&rows(&[(2, 2), (2, 2), (3, 3), (1, 1), (1, 1)])).expect("table");
        assert!(!table.is_delimited());
        assert!(locate(&rows(&[(1, 0)])).is_none());
    }

    #[test]
    fn buckets() {
        let table = |consistency| TableLocation {
            start: 0,
            end: 2,
            field_count: 2,
            consistency,
            multi_field: 1.0,
        };
        assert_eq!(table(1.0).consistency_bucket(), 5);
        assert_eq!(table(0.95).consistency_bucket(), 4);
        assert_eq!(table(0.83).consistency_bucket(), 3);
        assert_eq!(table(0.4).consistency_bucket(), 0);
    }
}
