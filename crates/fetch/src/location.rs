//! What a location string names: an http(s) URL or a local file.

use std::path::{Path, PathBuf};

use url::Url;

use crate::error::{FetchError, FetchErrorKind};
use crate::local;
use crate::policy::{NetworkPolicy, PolicyRefusal};

/// A location, classified and checked against what the policy allows of
/// local files and schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Http(Url),
    Local(PathBuf),
}

const LOCAL_REFUSED: &str = "local files are not allowed in worker mode";

impl Location {
    /// Classifies `location`: an http(s) URL, a `file://` URL or a path
    /// (relative ones against `base_dir`). Other schemes are refused.
    pub(crate) fn parse(
        location: &str,
        base_dir: Option<&Path>,
        policy: &NetworkPolicy,
    ) -> Result<Location, FetchError> {
        let location = location.trim();
        if location.is_empty() {
            return Err(FetchError::new(
                FetchErrorKind::InvalidLocation,
                "empty location",
            ));
        }
        let refuse_local = || FetchError::new(FetchErrorKind::Policy, LOCAL_REFUSED);
        match Url::parse(location) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Location::Http(url)),
            Ok(url) if url.scheme() == "file" => {
                if !policy.allow_local_files {
                    return Err(refuse_local());
                }
                local::file_url_path(&url).map(Location::Local)
            }
            Ok(url) if location.contains("://") => Err(FetchError::new(
                FetchErrorKind::Policy,
                PolicyRefusal::Scheme(url.scheme().to_owned()).to_string(),
            )),
            Err(e) if looks_like_http(location) => Err(FetchError::new(
                FetchErrorKind::InvalidLocation,
                format!("invalid URL {location}: {e}"),
            )),
            // A path, or something with a colon that is no URL we know.
            _ => {
                if !policy.allow_local_files {
                    return Err(refuse_local());
                }
                Ok(Location::Local(local::resolve_path(location, base_dir)))
            }
        }
    }
}

fn looks_like_http(location: &str) -> bool {
    let lower = location.get(..8).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker() -> NetworkPolicy {
        NetworkPolicy::default()
    }

    fn cli() -> NetworkPolicy {
        NetworkPolicy {
            allow_local_files: true,
            ..NetworkPolicy::default()
        }
    }

    #[test]
    fn http_urls_are_http() {
        let loc = Location::parse(" https://www.data.gouv.fr/x.csv ", None, &worker());
        assert_eq!(
            loc.map(|l| match l {
                Location::Http(u) => u.to_string(),
                Location::Local(p) => p.display().to_string(),
            }),
            Ok("https://www.data.gouv.fr/x.csv".to_owned())
        );
    }

    #[test]
    fn worker_mode_refuses_local_files_and_other_schemes() {
        for location in ["/etc/passwd", "file:///etc/passwd", "data/x.csv"] {
            let err = Location::parse(location, None, &worker()).err();
            assert_eq!(err.as_ref().map(|e| e.kind), Some(FetchErrorKind::Policy));
            assert_eq!(err.map(|e| e.message).as_deref(), Some(LOCAL_REFUSED));
        }
        let err = Location::parse("ftp://example.org/x.csv", None, &cli()).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("refused by network policy: scheme 'ftp' is not allowed (only http and https)")
        );
    }

    #[test]
    fn command_line_resolves_paths() {
        let base = Path::new("/data/entries");
        assert_eq!(
            Location::parse("x.csv", Some(base), &cli()),
            Ok(Location::Local(PathBuf::from("/data/entries/x.csv")))
        );
        assert_eq!(
            Location::parse("/tmp/y.csv", Some(base), &cli()),
            Ok(Location::Local(PathBuf::from("/tmp/y.csv")))
        );
        assert_eq!(
            Location::parse("file:///tmp/a%20b.csv", Some(base), &cli()),
            Ok(Location::Local(PathBuf::from("/tmp/a b.csv")))
        );
    }

    #[test]
    fn broken_urls_are_invalid_locations() {
        let err = Location::parse("http://", None, &cli()).err();
        assert_eq!(err.map(|e| e.kind), Some(FetchErrorKind::InvalidLocation));
        let err = Location::parse("", None, &cli()).err();
        assert_eq!(err.map(|e| e.kind), Some(FetchErrorKind::InvalidLocation));
    }
}
