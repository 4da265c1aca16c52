//! Identifier formats a string column can carry: `uuid`, `email`, `uri`,
//! and French codes (`siret`, `siren`, `uai`, `fr_postal_code`,
//! `fr_commune_insee`, `fr_departement`).
//!
//! Each is a bit; a column keeps the bits every value matches. Checks are
//! byte-level. SIREN and SIRET carry a Luhn check digit (La Poste's, which
//! starts 356000000, uses a digit sum divisible by 5 instead); UAI ends
//! with a check letter. Postal, INSEE and département codes are mere
//! shapes, so [`super::types`] reports them only when the name agrees.

pub(crate) const F_UUID: u16 = 1 << 0;
pub(crate) const F_EMAIL: u16 = 1 << 1;
pub(crate) const F_URI: u16 = 1 << 2;
pub(crate) const F_SIRET: u16 = 1 << 3;
pub(crate) const F_SIREN: u16 = 1 << 4;
pub(crate) const F_UAI: u16 = 1 << 5;
pub(crate) const F_POSTAL: u16 = 1 << 6;
pub(crate) const F_INSEE: u16 = 1 << 7;
pub(crate) const F_DEPARTEMENT: u16 = 1 << 8;
/// 14 digits, check digit or not (a SIRET column with typos).
pub(crate) const F_DIGITS14: u16 = 1 << 9;
/// 9 digits, check digit or not.
pub(crate) const F_DIGITS9: u16 = 1 << 10;
pub(crate) const F_ALL: u16 = (1 << 11) - 1;

/// Whether a value's bytes (and whether they are all digits) match a format.
type FormatCheck = fn(&[u8], bool) -> bool;

/// The format bits among `alive` that a trimmed value matches. Only the
/// checks of live bits run: a column keeps one or two for long.
pub(crate) fn formats_of(t: &str, alive: u16) -> u16 {
    let b = t.as_bytes();
    let digits = b.iter().all(u8::is_ascii_digit);
    let checks: [(u16, FormatCheck); 11] = [
        (F_UUID, |b, _| is_uuid(b)),
        (F_EMAIL, |b, _| is_email(b)),
        (F_URI, |b, _| is_uri(b)),
        (F_DIGITS14, |b, digits| digits && b.len() == 14),
        (F_DIGITS9, |b, digits| digits && b.len() == 9),
        (F_SIRET, |b, digits| digits && is_siret(b)),
        (F_SIREN, |b, digits| digits && is_siren(b)),
        (F_UAI, |b, _| is_uai(b)),
        (F_POSTAL, |b, digits| digits && is_postal_code(b)),
        (F_INSEE, |b, _| is_commune_insee(b)),
        (F_DEPARTEMENT, |b, _| is_departement(b)),
    ];
    let mut out = 0;
    for (bit, matches) in checks {
        if alive & bit != 0 && matches(b, digits) {
            out |= bit;
        }
    }
    out
}

/// Luhn: doubling every second digit from the right, the sum is a
/// multiple of 10.
fn luhn(b: &[u8]) -> bool {
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn digit_sum(b: &[u8]) -> u32 {
    b.iter().map(|c| u32::from(c - b'0')).sum()
}

pub(crate) fn is_siret(b: &[u8]) -> bool {
    b.len() == 14
        && b.iter().all(u8::is_ascii_digit)
        && (luhn(b) || (b.starts_with(b"356000000") && digit_sum(b).is_multiple_of(5)))
}

pub(crate) fn is_siren(b: &[u8]) -> bool {
    b.len() == 9 && b.iter().all(u8::is_ascii_digit) && (luhn(b) || b == b"356000000")
}

/// UAI (school and university id): 7 digits and a check letter, the
/// number modulo 23 in an alphabet without I, O, Q.
pub(crate) fn is_uai(b: &[u8]) -> bool {
    const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let [digits @ .., letter] = b else {
        return false;
    };
    if digits.len() != 7 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = digits
        .iter()
        .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    LETTERS.get((n % 23) as usize) == Some(letter)
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c, ..] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// Five digits under a real département prefix (01..95, overseas 97x,
/// 98x).
pub(crate) fn is_postal_code(b: &[u8]) -> bool {
    b.len() == 5
        && b.iter().all(u8::is_ascii_digit)
        && two_digits(b).is_some_and(|d| (1..=95).contains(&d) || d == 97 || d == 98)
}

/// INSEE commune code (COG): 2-digit département (not 20) or 2A/2B then
/// 3 digits; overseas 97xxx and 98xxx; 99xxx for places abroad, which La
/// Poste's file uses for Monaco (99138).
pub(crate) fn is_commune_insee(b: &[u8]) -> bool {
    if b.len() != 5 || !b[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    match &b[..2] {
        b"2A" | b"2B" => true,
        prefix => two_digits(prefix).is_some_and(|d| d != 0 && d != 20 && d != 96),
    }
}

/// Département code: 01..95 (not 20), 2A, 2B, 971..976.
pub(crate) fn is_departement(b: &[u8]) -> bool {
    match b {
        b"2A" | b"2B" => true,
        [_, _] => two_digits(b).is_some_and(|d| (1..=95).contains(&d) && d != 20),
        [b'9', b'7', c] => (b'1'..=b'6').contains(c),
        _ => false,
    }
}

pub(crate) fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A plain address: one `@`, a local part without spaces, a dotted domain
/// of letters, digits and hyphens ending in a 2+ letter label.
pub(crate) fn is_email(b: &[u8]) -> bool {
    let Some(at) = b.iter().position(|c| *c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._%+-'".contains(c));
    let mut labels = domain.split(|c| *c == b'.');
    let all_labels_ok = domain
        .split(|c| *c == b'.')
        .all(|l| !l.is_empty() && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-'));
    let tld_ok = labels
        .next_back()
        .is_some_and(|tld| tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic));
    local_ok && all_labels_ok && labels.next().is_some() && tld_ok
}

/// An `http` or `https` URL without spaces.
pub(crate) fn is_uri(b: &[u8]) -> bool {
    let lower_starts =
        |prefix: &[u8]| b.len() > prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix);
    (lower_starts(b"http://") || lower_starts(b"https://"))
        && b.iter().all(|c| *c > b' ' && *c != 0x7F)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn siret_and_siren_check_digits() {
        assert!(is_siret(b"21310117300010"));
        assert!(is_siret(b"78012958100010"));
        assert!(is_siret(b"65204040300014"));
        assert!(!is_siret(b"65204040300015"));
        assert!(!is_siret(b"6520404030001"));
        // La Poste: Luhn does not hold, the digit sum is a multiple of 5.
        assert!(is_siret(b"35600000049837"));
        assert!(!is_siret(b"35600000049838"));
        assert!(is_siren(b"213101173"));
        assert!(!is_siren(b"213101174"));
    }

    #[test]
    fn uai_check_letter() {
        assert!(is_uai(b"0951214D"));
        assert!(is_uai(b"0573389Z"));
        assert!(!is_uai(b"0951214E"));
        assert!(!is_uai(b"951214D"));
    }

    #[test]
    fn french_geographic_codes() {
        assert!(is_postal_code(b"01000"));
        assert!(is_postal_code(b"97400"));
        assert!(!is_postal_code(b"00100"));
        assert!(!is_postal_code(b"1000"));
        assert!(is_commune_insee(b"2A004"));
        assert!(is_commune_insee(b"01004"));
        assert!(is_commune_insee(b"97411"));
        assert!(is_commune_insee(b"99138"));
        assert!(!is_commune_insee(b"00138"));
        assert!(!is_commune_insee(b"20004"));
        assert!(!is_commune_insee(b"2C004"));
        assert!(is_departement(b"01"));
        assert!(is_departement(b"2A"));
        assert!(is_departement(b"971"));
        assert!(!is_departement(b"20"));
        assert!(!is_departement(b"977"));
        assert!(!is_departement(b"1"));
    }

    #[test]
    fn web_identifiers() {
        assert!(is_uuid(b"51dfb51a-6665-11e3-afff-01f464e0362d"));
        assert!(!is_uuid(b"51dfb51a-6665-11e3-afff-01f464e0362"));
        assert!(is_email(b"contact@data.gouv.fr"));
        assert!(!is_email(b"contact@localhost"));
        assert!(!is_email(b"a b@x.fr"));
        assert!(!is_email(b"@x.fr"));
        assert!(is_uri(b"https://www.essec.edu/fr/"));
        assert!(is_uri(b"HTTP://x.fr"));
        assert!(!is_uri(b"https://"));
        assert!(!is_uri(b"www.x.fr"));
        assert!(!is_uri(b"http://x.fr/a b"));
    }

    #[test]
    fn formats_only_computes_alive_bits() {
        let all = formats_of("21310117300010", F_ALL);
        assert_eq!(all, F_SIRET | F_DIGITS14);
        assert_eq!(formats_of("21310117300010", F_UUID), 0);
        assert_eq!(formats_of("01000", F_ALL), F_POSTAL | F_INSEE);
        assert_eq!(formats_of("75", F_ALL), F_DEPARTEMENT);
    }
}
