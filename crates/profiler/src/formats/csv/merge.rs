//! The runs of a file's parts, merged in file order as they come in.
//!
//! Threads finish their parts in any order; a part's run waits here until
//! every part before it is merged, so at most a few runs are held at once
//! whatever the number of parts. A part's run (or error) counts only when
//! the part before it ended between two records (see
//! [`super::run::END_MARK`]): otherwise the cut was inside a quoted value,
//! and the file must be read again on one thread.

use super::parallel::PassError;
use super::reader::{ReadPlan, run_error};
use super::run::{Run, RunError};

/// Why the merge ended before the last part.
#[derive(Debug)]
enum Ending {
    /// Some part is not UTF-8 (true wherever its records start).
    NotUtf8,
    /// A part did not end between two records.
    Misaligned,
    Failed(PassError),
}

/// Merges the runs of `parts` parts in file order.
#[derive(Debug)]
pub struct InOrder<'p> {
    plan: &'p ReadPlan<'p>,
    /// The first part not merged yet.
    next: usize,
    merged: Option<Run>,
    waiting: Vec<Option<Result<Run, RunError>>>,
    ending: Option<Ending>,
}

impl<'p> InOrder<'p> {
    pub fn new(parts: usize, plan: &'p ReadPlan<'p>) -> Self {
        InOrder {
            plan,
            next: 0,
            merged: None,
            waiting: (0..parts).map(|_| None).collect(),
            ending: None,
        }
    }

    /// Takes the outcome of part `index`; false once the result is settled
    /// without the parts not read yet.
    pub fn offer(&mut self, index: usize, result: Result<Run, RunError>) -> bool {
        if self.ending.is_some() {
            return false;
        }
        if matches!(result, Err(RunError::NotUtf8)) {
            self.ending = Some(Ending::NotUtf8);
            return false;
        }
        if let Some(slot) = self.waiting.get_mut(index) {
            *slot = Some(result);
        }
        while let Some(result) = self.waiting.get_mut(self.next).and_then(Option::take) {
            if let Err(ending) = self.merge_next(result) {
                self.ending = Some(ending);
                self.waiting.clear();
                return false;
            }
            self.next += 1;
        }
        true
    }

    fn merge_next(&mut self, result: Result<Run, RunError>) -> Result<(), Ending> {
        let offset = self.merged.as_ref().map_or(0, |run| run.text_bytes);
        if self
            .merged
            .as_ref()
            .is_some_and(|run| !run.ends_between_records)
        {
            return Err(Ending::Misaligned);
        }
        match result {
            Ok(run) => {
                match &mut self.merged {
                    None => self.merged = Some(run),
                    Some(before) => before.merge(run, self.plan.opts.sample_size),
                }
                Ok(())
            }
            // Only a failed earlier part stops a later one, and that
            // failure ends the merge first.
            Err(RunError::Stopped) => Err(Ending::Misaligned),
            Err(RunError::NotUtf8) => Err(Ending::NotUtf8),
            Err(err) => Err(Ending::Failed(PassError::Failed(run_error(
                err,
                offset,
                self.plan.opts.limits.max_record_bytes,
            )))),
        }
    }

    /// The run of the whole file; `None` when it must be read again on
    /// one thread.
    pub fn finish(self) -> Option<Result<Run, PassError>> {
        match self.ending {
            Some(Ending::NotUtf8) => Some(Err(PassError::NotUtf8)),
            Some(Ending::Failed(err)) => Some(Err(err)),
            Some(Ending::Misaligned) => None,
            None if self.next == self.waiting.len() => self.merged.map(Ok),
            // A part was never offered (only after a stop, which ends the
            // merge first).
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProfileOptions;
    use crate::formats::csv::dialect::Syntax;
    use crate::formats::csv::reader::Ragged;
    use crate::formats::csv::tap::LineTerminators;

    fn run(records: u64, text_bytes: u64, ends_between_records: bool) -> Result<Run, RunError> {
        Ok(Run {
            record_count: records,
            columns: Vec::new(),
            samples: Vec::new(),
            ragged: Ragged::new(0),
            line_terminators: LineTerminators::default(),
            quoted_fields: false,
            non_ascii: false,
            text_bytes,
            ends_between_records,
            empty_rows: 0,
            trailing_notes: 0,
            first_note: None,
            unclosed_quote: None,
        })
    }

    fn merged(offers: Vec<(usize, Result<Run, RunError>)>) -> Option<Result<u64, String>> {
        let opts = ProfileOptions::default();
        let plan = ReadPlan {
            syntax: Syntax::delimited(b';'),
            skip_records: 0,
            names: &[],
            opts: &opts,
        };
        let mut merger = InOrder::new(3, &plan);
        for (index, result) in offers {
            merger.offer(index, result);
        }
        merger.finish().map(|r| match r {
            Ok(run) => Ok(run.record_count),
            Err(PassError::NotUtf8) => Err("not utf-8".to_owned()),
            Err(PassError::Failed(err)) => Err(err.to_string()),
        })
    }

    #[test]
    fn parts_merge_in_file_order_whatever_order_they_come_in() {
        let offers = vec![
            (2, run(5, 50, false)),
            (0, run(1, 10, true)),
            (1, run(2, 20, true)),
        ];
        assert_eq!(merged(offers), Some(Ok(8)));
        // A part missing: no result.
        assert_eq!(
            merged(vec![(0, run(1, 10, true)), (2, run(5, 50, false))]),
            None
        );
    }

    #[test]
    fn a_part_that_does_not_end_between_records_voids_the_merge() {
        let offers = vec![
            (0, run(1, 10, true)),
            (1, run(2, 20, false)),
            (2, run(5, 50, false)),
        ];
        assert_eq!(merged(offers), None);
    }

    #[test]
    fn an_error_counts_at_its_offset_in_the_whole_text() {
        let offers = vec![
            (1, run(2, 20, true)),
            (2, Err(RunError::RecordTooLong { start: 5 })),
            (0, run(1, 10, true)),
        ];
        let want = format!(
            "csv: limit exceeded: a record starting at byte 35 is longer than {} bytes",
            ProfileOptions::default().limits.max_record_bytes
        );
        assert_eq!(merged(offers), Some(Err(want)));
        // After a part that did not end between records, the error is an
        // artefact of the cut.
        let offers = vec![
            (0, run(1, 10, false)),
            (1, Err(RunError::RecordTooLong { start: 5 })),
        ];
        assert_eq!(merged(offers), None);
        // Bytes that are not UTF-8 are so anywhere.
        let offers = vec![(2, Err(RunError::NotUtf8)), (0, run(1, 10, false))];
        assert_eq!(merged(offers), Some(Err("not utf-8".to_owned())));
    }
}
