//! Why a source could not be fetched, and whether trying again later may help.

use std::error::Error as StdError;

/// What went wrong, coarsely: enough for metrics and for deciding on retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchErrorKind {
    /// The location is not a URL or path we can use (bad syntax, unsupported
    /// scheme, `file://` URL that is not a local path).
    InvalidLocation,
    /// Refused by the network policy: local files in worker mode, a scheme
    /// other than http(s), a destination address in a refused range.
    Policy,
    /// A local file that is missing, a directory, or unreadable.
    LocalFile,
    /// The server answered with a status that is not a success.
    HttpStatus(u16),
    /// The body is larger than `max_bytes`.
    TooLarge,
    /// More redirects than `max_redirects`, or an unusable redirect.
    Redirect,
    /// Connect, read (idle) or total timeout.
    Timeout,
    /// The connection could not be made (refused, unreachable, DNS, TLS).
    Connect,
    /// The connection broke or the body ended early.
    Interrupted,
    /// The temporary copy could not be written (disk full...).
    TempFile,
    /// The HTTP client could not be set up.
    Setup,
}

impl FetchErrorKind {
    /// Whether the same fetch may succeed later without anything changing on
    /// our side: server overload, network trouble, a full temp disk.
    pub fn is_transient(self) -> bool {
        match self {
            FetchErrorKind::HttpStatus(status) => status == 429 || status >= 500,
            FetchErrorKind::Timeout
            | FetchErrorKind::Connect
            | FetchErrorKind::Interrupted
            | FetchErrorKind::TempFile => true,
            FetchErrorKind::InvalidLocation
            | FetchErrorKind::Policy
            | FetchErrorKind::LocalFile
            | FetchErrorKind::TooLarge
            | FetchErrorKind::Redirect
            | FetchErrorKind::Setup => false,
        }
    }
}

/// Why a source could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// Worth retrying later: connect errors, timeouts, HTTP 5xx and 429.
    pub transient: bool,
    /// One line, shown to users as `fetch: <message>`.
    pub message: String,
    pub kind: FetchErrorKind,
}

impl FetchError {
    /// An error whose transience follows from its kind.
    pub fn new(kind: FetchErrorKind, message: impl Into<String>) -> Self {
        FetchError {
            transient: kind.is_transient(),
            message: message.into(),
            kind,
        }
    }

    /// A permanent error of no particular kind (kept for callers that only
    /// need a message, such as "no URL to fetch").
    pub fn permanent(message: impl Into<String>) -> Self {
        FetchError {
            transient: false,
            message: message.into(),
            kind: FetchErrorKind::InvalidLocation,
        }
    }

    /// A transient error of no particular kind.
    pub fn transient(message: impl Into<String>) -> Self {
        FetchError {
            transient: true,
            message: message.into(),
            kind: FetchErrorKind::Interrupted,
        }
    }
}

/// The first error of type `T` in `err`'s source chain (`err` included).
pub(crate) fn find_in_chain<'a, T: StdError + 'static>(
    err: &'a (dyn StdError + 'static),
) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The innermost cause of `err`, which is usually the informative one
/// ("Connection refused (os error 111)" rather than "client error").
pub(crate) fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transience_follows_the_kind() {
        assert!(FetchError::new(FetchErrorKind::HttpStatus(503), "x").transient);
        assert!(FetchError::new(FetchErrorKind::HttpStatus(429), "x").transient);
        assert!(!FetchError::new(FetchErrorKind::HttpStatus(404), "x").transient);
        assert!(!FetchError::new(FetchErrorKind::HttpStatus(400), "x").transient);
        assert!(!FetchError::new(FetchErrorKind::Policy, "x").transient);
        assert!(!FetchError::new(FetchErrorKind::TooLarge, "x").transient);
        assert!(FetchError::new(FetchErrorKind::Timeout, "x").transient);
        assert!(FetchError::new(FetchErrorKind::Interrupted, "x").transient);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("client error")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn root_cause_is_the_innermost_error() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer = Outer(inner);
        assert_eq!(outer.to_string(), "client error");
        assert_eq!(root_cause(&outer), "refused");
        let found = find_in_chain::<std::io::Error>(&outer).map(|e| e.kind());
        assert_eq!(found, Some(std::io::ErrorKind::ConnectionRefused));
        assert!(find_in_chain::<std::fmt::Error>(&outer).is_none());
    }
}
