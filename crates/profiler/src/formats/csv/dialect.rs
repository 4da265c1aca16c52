//! Delimiter, quoting, escape and comment detection.
//!
//! Every candidate syntax (`,` `;` TAB `|`, with or without a `\` escape,
//! `#` comments or relaxed quoting when the sample hints at them) parses
//! the sample with quotes respected; the one whose rows have the most
//! consistent field count (more than one field) wins. Raw character counts
//! of the first line are never used: a `,` in `100,000.00` or in a quoted
//! value is not a delimiter. No consistent candidate means a single-column
//! file.

use std::io::Read;

use super::header;
use super::layout::{self, TableLocation};
use super::relaxed::{QuoteSyntax, RelaxedQuotes};
use super::sample::{self, RowShape, Sample};

/// The quote character: the only one seen in practice.
pub const QUOTE: u8 = b'"';

/// The delimiter used to parse single-column files: the ASCII unit
/// separator, which never occurs in real text, so no cell is split.
pub const SINGLE_COLUMN: u8 = 0x1F;

/// Delimiters tried, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// How the decoded text is split into records and fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    pub delimiter: u8,
    /// `\` when quotes inside quoted values are written `\"`.
    pub escape: Option<u8>,
    /// `#` when comment lines must be skipped.
    pub comment: Option<u8>,
    /// Quotes inside quoted values are data unless a delimiter or a line
    /// end follows (see [`super::relaxed`]).
    pub relaxed_quotes: bool,
}

impl Syntax {
    /// Plain delimited text: no escape, comments or relaxed quoting.
    pub fn delimited(delimiter: u8) -> Self {
        Syntax {
            delimiter,
            escape: None,
            comment: None,
            relaxed_quotes: false,
        }
    }

    pub fn is_single_column(&self) -> bool {
        self.delimiter == SINGLE_COLUMN
    }

    /// The delimiter as reported in a profile (`,` for a single column).
    pub fn reported_delimiter(&self) -> String {
        if self.is_single_column() {
            ",".to_owned()
        } else {
            char::from(self.delimiter).to_string()
        }
    }

    /// A csv reader over `source` with this syntax. Records may have any
    /// number of fields; the header is handled by the caller.
    pub fn csv_reader<R: Read>(&self, source: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quote(QUOTE)
            .double_quote(true)
            .escape(self.escape)
            .comment(self.comment)
            .flexible(true)
            .has_headers(false)
            .buffer_capacity(READ_BUFFER)
            .from_reader(source)
    }

    /// `decoded`, with stray quotes rewritten when quoting is relaxed.
    pub fn text_source<'a, R: Read + 'a>(&self, decoded: R) -> Box<dyn Read + 'a> {
        if self.relaxed_quotes {
            Box::new(RelaxedQuotes::new(
                decoded,
                QuoteSyntax {
                    delimiter: self.delimiter,
                    quote: QUOTE,
                    escape: self.escape,
                    comment: self.comment,
                },
            ))
        } else {
            Box::new(decoded)
        }
    }
}

/// The csv reader's buffer: also how far it may read past a record.
pub const READ_BUFFER: usize = 64 * 1024;

/// The syntax chosen for a sample, with what it saw.
#[derive(Debug, Clone)]
pub struct DialectChoice {
    pub syntax: Syntax,
    pub shapes: Vec<RowShape>,
    pub table: TableLocation,
}

/// Chooses the syntax of the sample; `None` when it has no row at all.
pub fn detect(sample: &Sample) -> Option<DialectChoice> {
    let hints = Hints::of(&sample.text);
    let named = excel_separator_line(&sample.text);
    let mut best: Option<(Score, DialectChoice)> = None;
    for syntax in hints.candidates() {
        if named.is_some_and(|d| d != syntax.delimiter) {
            continue;
        }
        let shapes = sample::row_shapes(sample, syntax);
        let Some(mut table) = layout::locate(&shapes) else {
            if shapes.iter().any(|row| row.fields > 1) {
                // Delimiters and nothing else (`;;;` lines): no records.
                return None;
            }
            continue;
        };
        if layout::has_one_row_preamble(&shapes, &table) && !header_at_start(sample, syntax, &table)
        {
            // One line above a table is a title only when a header starts
            // the table: `taux` over `1,5` is a one-column file whose
            // values hold a comma, not a title over two columns.
            table = layout::without_preamble(&shapes, &table);
        }
        if named.is_some() {
            // The `sep=` line is a preamble, never the header.
            table.start = table.start.max(1);
        }
        if !table.is_delimited() {
            continue;
        }
        let score = Score {
            consistency: table.consistency_bucket(),
            field_count: table.field_count,
            preference: hints.preference(syntax),
        };
        tracing::trace!(delimiter = %char::from(syntax.delimiter), ?syntax, ?score, "dialect candidate");
        if best.as_ref().is_none_or(|(top, _)| score > *top) {
            best = Some((
                score,
                DialectChoice {
                    syntax,
                    shapes,
                    table,
                },
            ));
        }
    }
    if let Some((_, choice)) = best {
        return Some(choice);
    }
    let syntax = Syntax {
        comment: hints.leading_comment.then_some(b'#'),
        ..Syntax::delimited(SINGLE_COLUMN)
    };
    let shapes = sample::row_shapes(sample, syntax);
    let table = layout::locate(&shapes)?;
    Some(DialectChoice {
        syntax,
        shapes,
        table,
    })
}

/// Whether the row where `table` starts reads as a header over the rows
/// below it.
fn header_at_start(sample: &Sample, syntax: Syntax, table: &TableLocation) -> bool {
    let rows: Vec<Vec<String>> = sample::row_cells(sample, syntax, table.start)
        .into_iter()
        .take(table.end.saturating_sub(table.start))
        .filter(|row| row.iter().any(|cell| !cell.trim().is_empty()))
        .collect();
    match rows.split_first() {
        Some((first, body)) => header::has_header(first, body),
        None => false,
    }
}

/// The delimiter an Excel `sep=;` first line names. Excel writes it so that
/// a file opens with the right columns in any locale; it is a line to skip.
fn excel_separator_line(text: &[u8]) -> Option<u8> {
    let line = text.strip_prefix(b"sep=")?;
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    match line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]) {
        [d @ (b',' | b';' | b'\t' | b'|')] => Some(*d),
        _ => None,
    }
}

/// How a candidate ranks: compared field by field, higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    consistency: u8,
    field_count: usize,
    preference: i8,
}

/// What the sample's bytes suggest beyond the plain syntax.
#[derive(Debug, Clone, Copy)]
struct Hints {
    /// `\"` followed by something that cannot close a field. Not by a
    /// quote: `\""` is how RFC 4180 writes a backslash before a doubled
    /// quote, or a value ending with a backslash before the next value's
    /// quote, so it is no evidence of backslash escapes.
    backslash_escape: bool,
    /// A line starts with `#`.
    comment_lines: bool,
    /// The first line that is not blank starts with `#`.
    leading_comment: bool,
    /// A quote occurs somewhere.
    quotes: bool,
}

impl Hints {
    fn of(text: &[u8]) -> Self {
        let backslash_escape = memchr::memmem::find_iter(text, b"\\\"").any(|at| {
            !matches!(
                text.get(at + 2),
                None | Some(b',' | b';' | b'\t' | b'|' | b'\r' | b'\n' | b'"')
            )
        });
        Hints {
            backslash_escape,
            comment_lines: text.first() == Some(&b'#')
                || memchr::memmem::find(text, b"\n#").is_some(),
            leading_comment: text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'#'),
            quotes: memchr::memchr(QUOTE, text).is_some(),
        }
    }

    fn candidates(self) -> Vec<Syntax> {
        let escapes: &[Option<u8>] = if self.backslash_escape {
            &[Some(b'\\'), None]
        } else {
            &[None]
        };
        let comments: &[Option<u8>] = if self.comment_lines {
            &[None, Some(b'#')]
        } else {
            &[None]
        };
        let relaxed: &[bool] = if self.quotes {
            &[false, true]
        } else {
            &[false]
        };
        let mut out = Vec::new();
        for &delimiter in &DELIMITERS {
            for &escape in escapes {
                for &comment in comments {
                    for &relaxed_quotes in relaxed {
                        out.push(Syntax {
                            delimiter,
                            escape,
                            comment,
                            relaxed_quotes,
                        });
                    }
                }
            }
        }
        out
    }

    /// Among equally consistent candidates: the escape the bytes point at,
    /// then the plainest reading.
    fn preference(self, syntax: Syntax) -> i8 {
        let mut preference = 0;
        if self.backslash_escape && syntax.escape.is_some() {
            preference += 4;
        }
        if syntax.comment.is_some() {
            preference -= 1;
        }
        if syntax.relaxed_quotes {
            preference -= 2;
        }
        preference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(text: &str) -> DialectChoice {
        let sample = Sample {
            text: text.as_bytes().to_vec(),
            complete: true,
        };
        detect(&sample).expect("rows")
    }

    #[test]
    fn an_excel_sep_line_names_the_delimiter_and_is_skipped() {
        let choice = choose("sep=;\r\na;b\r\n1;2\r\n3;4\r\n");
        assert_eq!(choice.syntax, Syntax::delimited(b';'));
        assert_eq!((choice.table.start, choice.table.field_count), (1, 2));
        let choice = choose("sep=,\na;b,c\n1;2,3\n");
        assert_eq!(choice.syntax, Syntax::delimited(b','));
        assert_eq!(excel_separator_line(b"sep=;;\n"), None);
        assert_eq!(excel_separator_line(b"separator;x\n"), None);
    }

    #[test]
    fn decimal_commas_do_not_beat_semicolons() {
        let choice = choose("a;b;c\n1,5;2,25;x\n3,1;4;y\n5;6,6;z\n");
        assert_eq!(choice.syntax, Syntax::delimited(b';'));
        assert_eq!(choice.table.field_count, 3);
    }

    #[test]
    fn quoted_delimiters_are_respected() {
        let choice = choose("name,qty\n\"Riesling, Meyer 2001\",8\n\"a,b,c\",6\nplain,4\n");
        assert_eq!(choice.syntax, Syntax::delimited(b','));
        assert_eq!(choice.table.field_count, 2);
    }

    #[test]
    fn thousands_separators_make_a_single_column() {
        let choice = choose("100,000.00\n300,000.20\n300,000,000.40\n50\n9999999999.20");
        assert!(choice.syntax.is_single_column());
        assert_eq!(choice.syntax.reported_delimiter(), ",");
        assert_eq!(choice.table.field_count, 1);
    }

    #[test]
    fn tabs_and_pipes() {
        assert_eq!(choose("a\tb, c\td\n1\t2, 3\t4\n").syntax.delimiter, b'\t');
        assert_eq!(choose("a|b|c\n1|{\"k\": 1}|3\n").syntax.delimiter, b'|');
    }

    #[test]
    fn backslash_escape_is_chosen_on_evidence() {
        let choice = choose("123|TEST7|text1\n345|TEST7|\"text\\\"2\\\"\"\n\"567\"|TEST7|text3\n");
        assert_eq!(choice.syntax.delimiter, b'|');
        assert_eq!(choice.syntax.escape, Some(b'\\'));
    }

    #[test]
    fn backslash_before_a_doubled_quote_is_rfc_4180() {
        // `"\"""` is RFC 4180 for the value `\"`. Read with `\` escapes, it
        // opened a quote that swallowed the next three records.
        let choice =
            choose("id,texte\n1,\"\\\"\"\"\n2,b\n3,c\n4,\"d\"\n5,e\n6,f\n7,g\n8,h\n9,i\n10,j\n");
        assert_eq!(choice.syntax, Syntax::delimited(b','));
        assert_eq!(choice.shapes.len(), 11);
    }

    #[test]
    fn relaxed_quotes_when_strict_parsing_is_ragged() {
        let choice = choose(
            "1;\"pedro \"pdet\" holanda\"\n2;\"pedro \"pdet\" holanda\"\n3;\"pedro \"pdet\" ho;landa\"\n4;\"x\"\n",
        );
        assert_eq!(choice.syntax.delimiter, b';');
        assert!(choice.syntax.relaxed_quotes);
        // Well-formed quoting stays strict.
        assert!(!choose("a;\"b\"\n1;\"x \"\"y\"\"\"\n").syntax.relaxed_quotes);
    }

    #[test]
    fn comment_lines() {
        let choice = choose("# A few comments\n# I'm a csv file\na;b\n# also\n1;3\n6;7\n# the end");
        assert_eq!(choice.syntax.delimiter, b';');
        assert_eq!(choice.syntax.comment, Some(b'#'));
    }
}
