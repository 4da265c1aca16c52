//! Relaxed quoting: unescaped quotes inside quoted values.
//!
//! Real exports write `"pedro "pdet" holanda"`: a quoted value holding
//! bare quotes. A strict parser closes the field at the second quote and
//! misreads the rest of the line. Under relaxed quoting a quote inside a
//! quoted field closes it only when a delimiter, a line end, the end of the
//! input or a second quote follows; any other quote is data.
//!
//! The csv crate has no such mode, so [`RelaxedQuotes`] rewrites the stream
//! in front of it: every stray quote is doubled (`"` → `""`), which the
//! crate then reads back as one literal quote. The rewrite is a small state
//! machine that carries its state across reads, so it streams.

use std::io::{self, Read};

/// Where the rewriter stands in the CSV grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote was seen inside a quoted field; the next byte decides what
    /// it was.
    QuoteInQuoted,
    /// The escape character was seen inside a quoted field.
    EscapeInQuoted,
    Comment,
}

/// The bytes the rewriter must know about.
#[derive(Debug, Clone, Copy)]
pub struct QuoteSyntax {
    pub delimiter: u8,
    pub quote: u8,
    pub escape: Option<u8>,
    pub comment: Option<u8>,
}

/// A reader that doubles stray quotes inside quoted fields.
pub struct RelaxedQuotes<R> {
    inner: R,
    syntax: QuoteSyntax,
    state: State,
    input: Vec<u8>,
    output: Vec<u8>,
    served: usize,
}

impl<R: Read> RelaxedQuotes<R> {
    pub fn new(inner: R, syntax: QuoteSyntax) -> Self {
        RelaxedQuotes {
            inner,
            syntax,
            state: State::RecordStart,
            input: vec![0; 64 * 1024],
            output: Vec::with_capacity(66 * 1024),
            served: 0,
        }
    }

    fn rewrite_chunk(&mut self, len: usize) {
        self.output.clear();
        self.served = 0;
        let QuoteSyntax {
            delimiter,
            quote,
            escape,
            comment,
        } = self.syntax;
        let is_line_end = |b: u8| b == b'\n' || b == b'\r';
        for &b in &self.input[..len] {
            self.state = match self.state {
                State::RecordStart if Some(b) == comment => State::Comment,
                State::RecordStart | State::FieldStart => {
                    if b == quote {
                        State::Quoted
                    } else if b == delimiter {
                        State::FieldStart
                    } else if is_line_end(b) {
                        State::RecordStart
                    } else {
                        State::Unquoted
                    }
                }
                State::Unquoted => {
                    if b == delimiter {
                        State::FieldStart
                    } else if is_line_end(b) {
                        State::RecordStart
                    } else {
                        State::Unquoted
                    }
                }
                State::Quoted => {
                    if b == quote {
                        State::QuoteInQuoted
                    } else if Some(b) == escape {
                        State::EscapeInQuoted
                    } else {
                        State::Quoted
                    }
                }
                State::EscapeInQuoted => State::Quoted,
                State::QuoteInQuoted => {
                    if b == quote {
                        State::Quoted
                    } else if b == delimiter {
                        State::FieldStart
                    } else if is_line_end(b) {
                        State::RecordStart
                    } else {
                        // A stray quote: double the one already written.
                        self.output.push(quote);
                        State::Quoted
                    }
                }
                State::Comment => {
                    if b == b'\n' {
                        State::RecordStart
                    } else {
                        State::Comment
                    }
                }
            };
            self.output.push(b);
        }
    }
}

impl<R: Read> Read for RelaxedQuotes<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.served == self.output.len() {
            let len = match self.inner.read(&mut self.input) {
                Ok(len) => len,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if len == 0 {
                return Ok(0);
            }
            self.rewrite_chunk(len);
        }
        let available = &self.output[self.served..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.served += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str, delimiter: u8) -> String {
        let syntax = QuoteSyntax {
            delimiter,
            quote: b'"',
            escape: None,
            comment: None,
        };
        let mut out = String::new();
        RelaxedQuotes::new(text.as_bytes(), syntax)
            .read_to_string(&mut out)
            .expect("rewrite");
        out
    }

    #[test]
    fn stray_quotes_are_doubled() {
        assert_eq!(
            rewrite("3;\"pedro \"pdet\" ho;landa\"\n", b';'),
            "3;\"pedro \"\"pdet\"\" ho;landa\"\n"
        );
    }

    #[test]
    fn well_formed_quoting_is_untouched() {
        let text = "a,\"b,\"\"c\"\"\",d\r\n\"x\ny\",2\n";
        assert_eq!(rewrite(text, b','), text);
        // Quotes inside unquoted fields are data already.
        assert_eq!(rewrite("a,b\"c\",d\n", b','), "a,b\"c\",d\n");
    }

    #[test]
    fn parses_to_the_relaxed_values() {
        let syntax = QuoteSyntax {
            delimiter: b';',
            quote: b'"',
            escape: None,
            comment: None,
        };
        let text = b"1;\"pedro \"pdet\" holanda\"\n3;\"pedro \"pdet\" ho;landa\"";
        let mut rdr = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(RelaxedQuotes::new(&text[..], syntax));
        let rows: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.expect("record").iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["1".to_owned(), "pedro \"pdet\" holanda".to_owned()],
                vec!["3".to_owned(), "pedro \"pdet\" ho;landa".to_owned()],
            ]
        );
    }
}
