//! The text encoding of a Shapefile's DBF, and what its text really is.
//!
//! The declared encoding comes from the `.cpg` file (`UTF-8`, `ISO-8859-1`,
//! `LATIN1`, `1252`, `ANSI 1252`...), else from the DBF's language driver
//! id (header byte 29). Declarations are often wrong, so the bytes have the
//! last word, field by field: a value that is valid UTF-8 is read as UTF-8;
//! one that is not is read with the declared single-byte encoding, or
//! Windows-1252 when nothing (or UTF-8) was declared. The reported label is
//! what the text turned out to be: `ascii` when no byte is above 0x7F,
//! `utf-8`, or the single-byte encoding (`iso-8859-1` when no byte falls in
//! 0x80..=0x9F, where ISO-8859-1 and Windows-1252 differ).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// Where the declared encoding came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declared {
    Cpg(&'static Encoding),
    LanguageDriver(&'static Encoding),
    /// A DOS code page (437, 850...), which encoding_rs does not decode:
    /// from the language driver id or the `.cpg`.
    Dos(DosCodePage),
    Nothing,
}

/// A DOS code page and its table, from the oem_cp crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DosCodePage {
    number: u16,
    table: &'static [char; 128],
}

impl DosCodePage {
    fn new(number: u16) -> Option<DosCodePage> {
        use oem_cp::code_table as t;
        let table = match number {
            437 => &t::DECODING_TABLE_CP437,
            850 => &t::DECODING_TABLE_CP850,
            852 => &t::DECODING_TABLE_CP852,
            860 => &t::DECODING_TABLE_CP860,
            861 => &t::DECODING_TABLE_CP861,
            863 => &t::DECODING_TABLE_CP863,
            865 => &t::DECODING_TABLE_CP865,
            _ => return None,
        };
        Some(DosCodePage { number, table })
    }

    fn decode(self, bytes: &[u8]) -> String {
        oem_cp::decode_string_complete_table(bytes, self.table)
    }
}

impl Declared {
    fn encoding(self) -> Option<&'static Encoding> {
        match self {
            Declared::Cpg(e) | Declared::LanguageDriver(e) => Some(e),
            Declared::Dos(_) | Declared::Nothing => None,
        }
    }
}

/// Picks the declared encoding from the `.cpg` text and the DBF language
/// driver id.
pub(crate) fn declared(cpg: Option<&str>, language_driver: u8) -> Declared {
    if let Some(e) = cpg.and_then(encoding_from_cpg) {
        return Declared::Cpg(e);
    }
    if let Some(dos) = cpg.and_then(dos_code_page_from_cpg) {
        return Declared::Dos(dos);
    }
    if let Some(e) = encoding_from_language_driver(language_driver) {
        return Declared::LanguageDriver(e);
    }
    match dos_code_page_from_language_driver(language_driver) {
        Some(dos) => Declared::Dos(dos),
        None => Declared::Nothing,
    }
}

/// `850`, `CP850`, `OEM 850`, `IBM850` in a `.cpg`.
fn dos_code_page_from_cpg(text: &str) -> Option<DosCodePage> {
    let upper = text
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_ascii_uppercase();
    let digits = ["OEM", "CP", "IBM"]
        .iter()
        .find_map(|p| upper.strip_prefix(p))
        .unwrap_or(&upper)
        .trim_start_matches([' ', '-']);
    DosCodePage::new(digits.parse().ok()?)
}

/// dBase language driver ids of DOS code pages.
fn dos_code_page_from_language_driver(id: u8) -> Option<DosCodePage> {
    DosCodePage::new(match id {
        0x01 | 0x09 | 0x0B | 0x0D | 0x0F | 0x11 | 0x15 | 0x18 | 0x19 | 0x1B => 437,
        0x02 | 0x0A | 0x0E | 0x10 | 0x12 | 0x14 | 0x16 | 0x1A | 0x1D | 0x25 | 0x37 => 850,
        0x1F | 0x22 | 0x23 | 0x40 | 0x64 => 852,
        0x24 => 860,
        0x67 => 861,
        0x1C | 0x6C => 863,
        0x08 | 0x17 | 0x66 => 865,
        _ => return None,
    })
}

/// Reads a `.cpg`: an encoding label or a Windows code page number.
pub(crate) fn encoding_from_cpg(text: &str) -> Option<&'static Encoding> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let t = t
        .strip_prefix("ANSI ")
        .or_else(|| t.strip_prefix("ansi "))
        .unwrap_or(t)
        .trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return encoding_from_code_page(t.parse().ok()?);
    }
    Encoding::for_label(t.as_bytes())
        .or_else(|| Encoding::for_label(t.replace('_', "-").as_bytes()))
        .or_else(|| {
            let upper = t.to_ascii_uppercase();
            let digits = upper
                .strip_prefix("CP")
                .or_else(|| upper.strip_prefix("WINDOWS"))?;
            encoding_from_code_page(digits.trim_start_matches('-').parse().ok()?)
        })
}

fn encoding_from_code_page(code: u32) -> Option<&'static Encoding> {
    let label = match code {
        65001 => "utf-8",
        1250..=1258 => return Encoding::for_label(format!("windows-{code}").as_bytes()),
        874 => "windows-874",
        866 => "ibm866",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        // ESRI writes ISO 8859-n as 8859n; Windows as 2859n.
        88591..=88599 => {
            return Encoding::for_label(format!("iso-8859-{}", code - 88590).as_bytes());
        }
        28591..=28599 => {
            return Encoding::for_label(format!("iso-8859-{}", code - 28590).as_bytes());
        }
        885910..=885916 => {
            return Encoding::for_label(format!("iso-8859-{}", code - 885900).as_bytes());
        }
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// dBase language driver ids (header byte 29) that encoding_rs can decode.
/// DOS code pages are read with oem_cp instead (see
/// [`dos_code_page_from_language_driver`]).
pub(crate) fn encoding_from_language_driver(id: u8) -> Option<&'static Encoding> {
    let label = match id {
        0x03 | 0x57 | 0x58 | 0x59 => "windows-1252",
        0x65 | 0x26 => "ibm866",
        0x7D => "windows-1255",
        0x7E => "windows-1256",
        0x7C => "windows-874",
        0xC8 => "windows-1250",
        0xC9 => "windows-1251",
        0xCA => "windows-1254",
        0xCB => "windows-1253",
        0xCC => "windows-1257",
        0x13 | 0x7B => "shift_jis",
        0x4D | 0x7A => "gbk",
        0x4E | 0x79 => "euc-kr",
        0x4F | 0x78 => "big5",
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// What the decoded text turned out to be.
#[derive(Debug, Default, Clone, Copy)]
struct TextStats {
    non_ascii: bool,
    /// A non-ASCII value was valid UTF-8.
    utf8_values: bool,
    /// A non-ASCII value was not valid UTF-8.
    single_byte_values: bool,
    /// A byte in 0x80..=0x9F outside UTF-8.
    c1_controls: bool,
}

/// Decodes DBF text as described in the module documentation, and records
/// what it saw.
#[derive(Debug, Clone)]
pub(crate) struct DbfText {
    declared: Declared,
    stats: TextStats,
}

impl DbfText {
    pub fn new(declared: Declared) -> DbfText {
        DbfText {
            declared,
            stats: TextStats::default(),
        }
    }

    /// Decodes one value's bytes.
    pub fn decode<'a>(&mut self, bytes: &'a [u8]) -> Cow<'a, str> {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                if !s.is_ascii() {
                    self.stats.non_ascii = true;
                    self.stats.utf8_values = true;
                }
                Cow::Borrowed(s)
            }
            Err(_) => {
                self.stats.non_ascii = true;
                self.stats.single_byte_values = true;
                self.stats.c1_controls |= bytes.iter().any(|b| (0x80..=0x9F).contains(b));
                if let Declared::Dos(dos) = self.declared {
                    return Cow::Owned(dos.decode(bytes));
                }
                let (decoded, _) = self.single_byte().decode_without_bom_handling(bytes);
                decoded
            }
        }
    }

    /// The single-byte encoding used for text that is not UTF-8.
    fn single_byte(&self) -> &'static Encoding {
        match self.declared.encoding() {
            Some(e) if e != encoding_rs::UTF_8 => e,
            _ => encoding_rs::WINDOWS_1252,
        }
    }

    /// The encoding the text really is in.
    pub fn label(&self) -> String {
        let s = self.stats;
        if !s.non_ascii {
            "ascii".to_owned()
        } else if !s.single_byte_values {
            "utf-8".to_owned()
        } else if let Declared::Dos(dos) = self.declared {
            format!("cp{}", dos.number)
        } else {
            let e = self.single_byte();
            if e == encoding_rs::WINDOWS_1252 && !s.c1_controls {
                "iso-8859-1".to_owned()
            } else {
                e.name().to_ascii_lowercase()
            }
        }
    }

    /// What a careful reader should know about declared versus actual.
    pub fn warnings(&self) -> Vec<String> {
        let s = self.stats;
        let mut out = Vec::new();
        if s.utf8_values && s.single_byte_values {
            out.push(format!(
                "DBF text mixes UTF-8 and {} values; each was read as what its bytes are",
                self.single_byte().name()
            ));
            return out;
        }
        match self.declared {
            Declared::Cpg(e) if e == encoding_rs::UTF_8 && s.single_byte_values => out.push(
                "the .cpg says UTF-8 but the DBF text is not; read as Windows-1252".to_owned(),
            ),
            Declared::Cpg(e) | Declared::LanguageDriver(e)
                if e != encoding_rs::UTF_8 && s.utf8_values =>
            {
                out.push(format!(
                    "the DBF is declared {} but its text is UTF-8; read as UTF-8",
                    e.name()
                ))
            }
            Declared::Dos(dos) if s.utf8_values => out.push(format!(
                "the DBF is declared cp{} but its text is UTF-8; read as UTF-8",
                dos.number
            )),
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpg_labels_and_code_pages() {
        let name = |s: &str| encoding_from_cpg(s).map(|e| e.name());
        assert_eq!(name("UTF-8"), Some("UTF-8"));
        assert_eq!(name("utf8\r\n"), Some("UTF-8"));
        assert_eq!(name("ISO-8859-1"), Some("windows-1252"));
        assert_eq!(name("LATIN1"), Some("windows-1252"));
        assert_eq!(name("1252"), Some("windows-1252"));
        assert_eq!(name("ANSI 1252"), Some("windows-1252"));
        assert_eq!(name("CP1252"), Some("windows-1252"));
        assert_eq!(name("88591"), Some("windows-1252"));
        assert_eq!(name("ISO_8859_15"), Some("ISO-8859-15"));
        assert_eq!(name("1251"), Some("windows-1251"));
        assert_eq!(name("65001"), Some("UTF-8"));
        assert_eq!(name("OEM"), None);
        assert_eq!(name(""), None);
    }

    #[test]
    fn cpg_wins_over_language_driver() {
        assert_eq!(
            declared(Some("UTF-8"), 0x57),
            Declared::Cpg(encoding_rs::UTF_8)
        );
        assert_eq!(
            declared(None, 0x57),
            Declared::LanguageDriver(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(declared(Some("nonsense"), 0x00), Declared::Nothing);
        assert_eq!(declared(None, 0x00), Declared::Nothing);
    }

    #[test]
    fn dos_code_pages_from_the_language_driver_or_the_cpg() {
        let mut cp850 = DbfText::new(declared(None, 0x02));
        assert_eq!(cp850.decode(b"Saint-\x90tienne"), "Saint-Étienne");
        assert_eq!(cp850.decode(b"Orl\x82ans"), "Orléans");
        assert_eq!(cp850.label(), "cp850");
        let mut cp437 = DbfText::new(declared(None, 0x01));
        assert_eq!(cp437.decode(b"Besan\x87on"), "Besançon");
        assert_eq!(cp437.label(), "cp437");
        let mut from_cpg = DbfText::new(declared(Some("OEM 850"), 0x00));
        assert_eq!(from_cpg.decode(b"\x90"), "É");
        // UTF-8 text still reads as UTF-8.
        let mut utf8 = DbfText::new(declared(None, 0x02));
        assert_eq!(utf8.decode("Orléans".as_bytes()), "Orléans");
        assert_eq!(utf8.warnings().len(), 1);
    }

    #[test]
    fn labels_follow_the_bytes() {
        let mut t = DbfText::new(Declared::Cpg(encoding_rs::WINDOWS_1252));
        assert_eq!(t.decode(b"Paris"), "Paris");
        assert_eq!(t.label(), "ascii");
        assert_eq!(t.decode(b"C\xF4te d'Ivoire"), "Côte d'Ivoire");
        assert_eq!(t.label(), "iso-8859-1");
        assert!(t.warnings().is_empty());
        assert_eq!(t.decode(b"\x80"), "€");
        assert_eq!(t.label(), "windows-1252");

        let mut u = DbfText::new(Declared::Cpg(encoding_rs::UTF_8));
        assert_eq!(u.decode("17ème".as_bytes()), "17ème");
        assert_eq!(u.label(), "utf-8");
        assert!(u.warnings().is_empty());

        let mut wrong = DbfText::new(Declared::Cpg(encoding_rs::UTF_8));
        assert_eq!(wrong.decode(b"\xE9t\xE9"), "été");
        assert_eq!(wrong.label(), "iso-8859-1");
        assert_eq!(wrong.warnings().len(), 1);

        let mut undeclared = DbfText::new(Declared::Nothing);
        assert_eq!(undeclared.decode("Bézier".as_bytes()), "Bézier");
        assert_eq!(undeclared.label(), "utf-8");
        let mut cyrillic = DbfText::new(Declared::LanguageDriver(encoding_rs::WINDOWS_1251));
        assert_eq!(cyrillic.decode(b"\xcc\xee\xf1\xea\xe2\xe0"), "Москва");
        assert_eq!(cyrillic.label(), "windows-1251");
    }
}
