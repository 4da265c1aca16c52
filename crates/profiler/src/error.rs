//! Why a source could not be profiled.

/// A terminal outcome other than a profile.
///
/// Both variants render as `step: cause`, the form the distribution profile
/// carries in its `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The content is not an introspectable data format (an HTML page, a
    /// PDF, an empty file...). `detected` names what was found instead.
    #[error("{step}: {reason}")]
    Unsupported {
        step: &'static str,
        detected: String,
        reason: String,
    },
    /// The content could not be read: malformed, over a limit, or an I/O
    /// fault.
    #[error("{step}: {cause}")]
    Failed { step: &'static str, cause: String },
}

impl ProfileError {
    /// Content that sniffing recognised as something other than data.
    pub fn unsupported(detected: impl Into<String>, reason: impl Into<String>) -> Self {
        ProfileError::Unsupported {
            step: "sniff",
            detected: detected.into(),
            reason: reason.into(),
        }
    }

    /// A data format that turned out to be malformed beyond reading.
    pub fn malformed(step: &'static str, cause: impl Into<String>) -> Self {
        ProfileError::Failed {
            step,
            cause: cause.into(),
        }
    }

    /// A configured limit was exceeded.
    pub fn limit(step: &'static str, what: impl std::fmt::Display) -> Self {
        ProfileError::Failed {
            step,
            cause: format!("limit exceeded: {what}"),
        }
    }

    pub fn io(step: &'static str, err: std::io::Error) -> Self {
        ProfileError::Failed {
            step,
            cause: err.to_string(),
        }
    }

    /// What was found instead of data, for an unsupported source.
    /// For a failure, the format when the step that failed is one format's
    /// reader (a CSV over the field limit is still a CSV); containers and
    /// other steps say nothing of the format inside.
    pub fn detected_format(&self) -> Option<&str> {
        match self {
            ProfileError::Unsupported { detected, .. } => Some(detected),
            ProfileError::Failed { step, .. } => {
                matches!(*step, "csv" | "json" | "geojson" | "ndjson" | "shapefile")
                    .then_some(*step)
            }
        }
    }
}

impl ProfileError {
    /// The container (`zip`, `gzip`) whose own reading failed: a truncated
    /// or corrupt archive, a decompression bomb. An error in a member's
    /// format names that format instead (see [`ProfileError::detected_format`]).
    pub fn failed_container(&self) -> Option<&str> {
        match self {
            ProfileError::Failed { step, .. } if matches!(*step, "zip" | "gzip") => Some(step),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_archive_names_its_container() {
        let truncated = ProfileError::malformed("gzip", "the gzip stream is corrupt or truncated");
        assert_eq!(truncated.failed_container(), Some("gzip"));
        assert_eq!(
            ProfileError::limit("zip", "bomb").failed_container(),
            Some("zip")
        );
        assert_eq!(ProfileError::limit("csv", "wide").failed_container(), None);
    }

    #[test]
    fn failures_in_a_format_reader_name_the_format() {
        assert_eq!(
            ProfileError::limit("csv", "too wide").detected_format(),
            Some("csv")
        );
        assert_eq!(
            ProfileError::malformed("zip", "truncated").detected_format(),
            None
        );
        assert_eq!(
            ProfileError::unsupported("html", "a page").detected_format(),
            Some("html")
        );
    }
}
