//! A small reader for the WKT that Shapefile `.prj` files carry (ESRI WKT1,
//! OGC WKT1 and WKT2): `KEYWORD["name", 1.5, CHILD[...], IDENT]`.
//!
//! It builds a tree and nothing more; [`super::from_wkt`] decides what the
//! tree means. Input is bounded (length and nesting) because `.prj` files
//! come from untrusted archives.

/// Longest `.prj` text read; real ones are well under 2 KiB.
pub const MAX_WKT_BYTES: usize = 64 * 1024;
/// Deepest nesting accepted; real WKT nests about 6 levels.
const MAX_DEPTH: usize = 32;

/// One `KEYWORD[...]` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub keyword: String,
    pub args: Vec<Arg>,
}

/// An argument of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(f64),
    /// A bare word such as `EAST` in `AXIS["x",EAST]`.
    Word(String),
    Node(Node),
}

impl Node {
    /// The first quoted argument: the element's name.
    pub fn name(&self) -> Option<&str> {
        self.args.iter().find_map(|a| match a {
            Arg::Text(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// Direct children with this keyword (case-insensitive).
    pub fn children<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.args.iter().filter_map(move |a| match a {
            Arg::Node(n) if n.keyword.eq_ignore_ascii_case(keyword) => Some(n),
            _ => None,
        })
    }

    pub fn child(&self, keyword: &str) -> Option<&Node> {
        self.args.iter().find_map(|a| match a {
            Arg::Node(n) if n.keyword.eq_ignore_ascii_case(keyword) => Some(n),
            _ => None,
        })
    }

    /// The first child among several keywords (WKT1 and WKT2 spell some
    /// elements differently).
    pub fn child_any(&self, keywords: &[&str]) -> Option<&Node> {
        keywords.iter().find_map(|k| self.child(k))
    }

    /// The n-th numeric argument.
    pub fn number(&self, n: usize) -> Option<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                Arg::Number(x) => Some(*x),
                _ => None,
            })
            .nth(n)
    }

    /// The second argument as text or number (`AUTHORITY["EPSG","2154"]`,
    /// `ID["EPSG",2154]`).
    pub fn code(&self) -> Option<String> {
        match self.args.get(1)? {
            Arg::Text(s) => Some(s.trim().to_owned()),
            Arg::Number(x) if x.fract() == 0.0 && *x >= 0.0 => Some(format!("{x:.0}")),
            _ => None,
        }
    }
}

/// Parses one WKT element; `None` for anything that is not WKT.
pub fn parse(text: &str) -> Option<Node> {
    if text.len() > MAX_WKT_BYTES {
        return None;
    }
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    let node = p.node(0)?;
    Some(node)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn word(&mut self) -> Option<String> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let keyword = self.word()?;
        self.skip_ws();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            match *self.s.get(self.i)? {
                b if b == close => {
                    self.i += 1;
                    return Some(Node { keyword, args });
                }
                b',' => self.i += 1,
                b'"' => args.push(Arg::Text(self.quoted()?)),
                b if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit() => {
                    args.push(Arg::Number(self.number()?))
                }
                _ => {
                    let start = self.i;
                    let word = self.word()?;
                    self.skip_ws();
                    if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
                        self.i = start;
                        args.push(Arg::Node(self.node(depth + 1)?));
                    } else {
                        args.push(Arg::Word(word));
                    }
                }
            }
        }
    }

    /// A quoted string; `""` inside stands for one quote.
    fn quoted(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            if b == b'"' {
                if self.s.get(self.i) == Some(&b'"') {
                    out.push(b'"');
                    self.i += 1;
                } else {
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
            } else {
                out.push(b);
            }
        }
    }

    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_esri_wkt_into_a_tree() {
        let n = parse(
            r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]]"#,
        )
        .expect("wkt");
        assert_eq!(n.keyword, "GEOGCS");
        assert_eq!(n.name(), Some("GCS_WGS_1984"));
        let spheroid = n
            .child("DATUM")
            .and_then(|d| d.child("SPHEROID"))
            .expect("spheroid");
        assert_eq!(spheroid.number(0), Some(6_378_137.0));
        assert_eq!(spheroid.number(1), Some(298.257_223_563));
    }

    #[test]
    fn reads_words_quotes_and_parentheses() {
        let n =
            parse(r#"PROJCS("a ""b""", AXIS["X",EAST], AUTHORITY["EPSG","2154"])"#).expect("wkt");
        assert_eq!(n.name(), Some("a \"b\""));
        assert_eq!(
            n.child("AXIS").map(|a| a.args[1].clone()),
            Some(Arg::Word("EAST".into()))
        );
        assert_eq!(
            n.child("authority").and_then(Node::code),
            Some("2154".into())
        );
    }

    #[test]
    fn refuses_what_is_not_wkt() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("GEOGCS[\"unterminated\""), None);
        let deep = format!("{}{}", "A[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep), None);
    }
}
