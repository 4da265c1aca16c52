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
    let is_title = |row: &RowShape| field_count >= 3 && row.non_empty <= 1;
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
    let table: Vec<&RowShape> = filled
        .iter()
        .filter(|&&i| i >= start)
        .map(|&i| &rows[i])
        .collect();
    let total = table.len() as f64;
    let same = table.iter().filter(|r| r.fields == field_count).count() as f64;
    let multi = table.iter().filter(|r| r.fields > 1).count() as f64;
    Some(TableLocation {
        start,
        field_count,
        consistency: same / total,
        multi_field: multi / total,
    })
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
                blank: fields == 1 && non_empty == 0,
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
