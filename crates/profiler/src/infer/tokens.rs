//! Words that stand for "no value" or for a boolean, as French and
//! international open data write them.

/// Whether a trimmed cell means "no value": empty, `NA`, `N/A`, `null`,
/// `None`, `-`, `nd`, `n.d.`... (case-insensitive). `NaN` is not here: it
/// is a null only in a numeric column, see [`nan_spelling`].
pub(crate) fn is_null_token(t: &str) -> bool {
    if t.is_empty() {
        return true;
    }
    if t.len() > 5 {
        return false;
    }
    const TOKENS: [&str; 9] = [
        "na", "n/a", "#n/a", "null", "none", "-", "nd", "n.d.", "n.a.",
    ];
    TOKENS.iter().any(|tok| t.eq_ignore_ascii_case(tok))
}

/// Which spelling of "not a number" a trimmed cell is, as a bit: `NaN`,
/// `nan` or `NAN`. Kept apart so a numeric column can count them as nulls
/// and a string column as values.
pub(crate) fn nan_spelling(t: &str) -> Option<u8> {
    match t {
        "NaN" => Some(1),
        "nan" => Some(2),
        "NAN" => Some(4),
        _ => None,
    }
}

/// Placeholders French statistics and spreadsheets write where a value is
/// withheld or failed: `NC` (non communiqué), `NR` (non renseigné), `s`
/// (secret statistique), `ns`, `secret`, and Excel's error values. Case
/// matters: `NC` is a placeholder, `Nc` a name.
const PLACEHOLDERS: [&str; 20] = [
    "NC", "nc", "N.C.", "n.c.", "NR", "nr", "N.R.", "n.r.", "s", "ns", "NS", "secret", "#DIV/0!",
    "#VALUE!", "#VALEUR!", "#REF!", "#NAME?", "#NOM?", "#NUM!", "#NULL!",
];

/// Which placeholder a trimmed cell is, as a bit. Like `NaN`, a
/// placeholder is a null in a column whose other values are typed, and a
/// value in a text column.
pub(crate) fn placeholder_spelling(t: &str) -> Option<u32> {
    if t.len() > 8 {
        return None;
    }
    PLACEHOLDERS.iter().position(|p| *p == t).map(|i| 1u32 << i)
}

/// The boolean a word stands for: true/false, oui/non, yes/no, vrai/faux,
/// t/f, y/n, in any case.
pub(crate) fn bool_word(t: &str) -> Option<bool> {
    if t.len() > 5 {
        return None;
    }
    const TRUE: [&str; 6] = ["true", "oui", "yes", "vrai", "t", "y"];
    const FALSE: [&str; 6] = ["false", "non", "no", "faux", "f", "n"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// `0`/`1` as a boolean, for columns whose name says they are flags.
pub(crate) fn bool_digit(t: &str) -> Option<bool> {
    match t {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn null_tokens() {
        for t in [
            "", "NA", "N/A", "n/a", "null", "NULL", "None", "-", "nd", "n.d.", "ND",
        ] {
            assert!(is_null_token(t), "{t}");
        }
        for t in ["0", "NaN", "nul", "--", "Nord", "n"] {
            assert!(!is_null_token(t), "{t}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(bool_word("Oui"), Some(true));
        assert_eq!(bool_word("NON"), Some(false));
        assert_eq!(bool_word("T"), Some(true));
        assert_eq!(bool_word("faux"), Some(false));
        assert_eq!(bool_word("1"), None);
        assert_eq!(bool_word("gluglu ieie"), None);
        assert_eq!(bool_digit("1"), Some(true));
        assert_eq!(nan_spelling("NaN"), Some(1));
        assert_eq!(nan_spelling("Nan"), None);
    }
}
