//! A download's file while it is being written: how many bytes it holds so
//! far and how the download ended, shared between the download loop (one
//! writer, async) and readers on other threads (blocking), so that a source
//! can be profiled while its body still streams.
//!
//! The writer publishes a length only after the bytes up to it are flushed
//! to the file, so a reader that stays below the published length never
//! sees a partial write. The writer always ends the file: with the final
//! facts, with the download's error, or, when it is dropped before either
//! (the download was cancelled), with an error saying so; a reader waiting
//! on it is never left hanging.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::{FetchError, FetchErrorKind};

/// What is known once a download has ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// The URL (after redirects) or path the bytes came from.
    pub source: String,
    pub byte_size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The server's Content-Type header, as sent.
    pub content_type: Option<String>,
}

/// Where a download stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Still streaming; this many bytes are in the file.
    Running { written: u64 },
    /// Every byte is in the file.
    Complete(Completed),
    /// The download failed: the file is incomplete and must not be used.
    Failed(FetchError),
}

impl Progress {
    /// Bytes in the file that readers may read (none once failed).
    pub fn written(&self) -> u64 {
        match self {
            Progress::Running { written } => *written,
            Progress::Complete(done) => done.byte_size,
            Progress::Failed(_) => 0,
        }
    }

    pub fn has_ended(&self) -> bool {
        !matches!(self, Progress::Running { .. })
    }
}

#[derive(Debug)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

/// A reader's handle on a file being downloaded; cheap to clone.
#[derive(Debug, Clone)]
pub struct GrowingFile {
    shared: Arc<Shared>,
}

impl GrowingFile {
    /// A file that is already whole (a local file, say).
    pub fn complete(done: Completed) -> Self {
        GrowingFile {
            shared: Arc::new(Shared {
                progress: Mutex::new(Progress::Complete(done)),
                changed: Condvar::new(),
            }),
        }
    }

    /// Where the download stands now, without waiting.
    pub fn progress(&self) -> Progress {
        self.lock().clone()
    }

    /// Blocks until the file holds more than `offset` bytes or the download
    /// has ended, and says where it stands then. Call it from a thread that
    /// may block (never from async code).
    pub fn wait_beyond(&self, offset: u64) -> Progress {
        let guard = self.lock();
        let guard = self
            .shared
            .changed
            .wait_while(
                guard,
                |progress| matches!(progress, Progress::Running { written } if *written <= offset),
            )
            .unwrap_or_else(PoisonError::into_inner);
        guard.clone()
    }

    /// Blocks until the download has ended; its final facts or its error.
    pub fn wait_end(&self) -> Result<Completed, FetchError> {
        match self.wait_beyond(u64::MAX) {
            Progress::Complete(done) => Ok(done),
            Progress::Failed(err) => Err(err),
            // `wait_beyond(u64::MAX)` only returns once the download ended.
            Progress::Running { .. } => Err(FetchError::new(
                FetchErrorKind::Interrupted,
                "the download stopped without an outcome",
            )),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.shared
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The download loop's side: publishes lengths, then the outcome.
#[derive(Debug)]
pub(crate) struct GrowingWriter {
    file: GrowingFile,
    ended: bool,
}

impl GrowingWriter {
    /// A writer and the handle readers get.
    pub(crate) fn new() -> (GrowingWriter, GrowingFile) {
        let file = GrowingFile {
            shared: Arc::new(Shared {
                progress: Mutex::new(Progress::Running { written: 0 }),
                changed: Condvar::new(),
            }),
        };
        let writer = GrowingWriter {
            file: file.clone(),
            ended: false,
        };
        (writer, file)
    }

    /// The first `written` bytes are flushed to the file.
    pub(crate) fn grew(&self, written: u64) {
        let mut progress = self.file.lock();
        if let Progress::Running { written: known } = &mut *progress
            && written > *known
        {
            *known = written;
            drop(progress);
            self.file.shared.changed.notify_all();
        }
    }

    /// The download ended: every reader learns how.
    pub(crate) fn end(mut self, outcome: Result<Completed, FetchError>) {
        self.publish_end(outcome);
    }

    fn publish_end(&mut self, outcome: Result<Completed, FetchError>) {
        self.ended = true;
        *self.file.lock() = match outcome {
            Ok(done) => Progress::Complete(done),
            Err(err) => Progress::Failed(err),
        };
        self.file.shared.changed.notify_all();
    }
}

impl Drop for GrowingWriter {
    fn drop(&mut self) {
        if !self.ended {
            self.publish_end(Err(FetchError::new(
                FetchErrorKind::Interrupted,
                "the download was abandoned before it ended",
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn done(size: u64) -> Completed {
        Completed {
            source: "http://example.test/a.csv".to_owned(),
            byte_size: size,
            sha256: "00".repeat(32),
            content_type: None,
        }
    }

    #[test]
    fn a_reader_wakes_when_bytes_arrive_then_at_the_end() {
        let (writer, file) = GrowingWriter::new();
        let reader = file.clone();
        let waiter = std::thread::spawn(move || {
            let first = reader.wait_beyond(0);
            let last = reader.wait_beyond(first.written());
            (first, last)
        });
        std::thread::sleep(Duration::from_millis(20));
        writer.grew(10);
        std::thread::sleep(Duration::from_millis(20));
        writer.end(Ok(done(10)));
        let (first, last) = waiter.join().expect("waiter");
        assert_eq!(first, Progress::Running { written: 10 });
        assert_eq!(last, Progress::Complete(done(10)));
        assert_eq!(file.wait_end(), Ok(done(10)));
    }

    #[test]
    fn lengths_never_go_back_and_stop_at_the_end() {
        let (writer, file) = GrowingWriter::new();
        writer.grew(100);
        writer.grew(50);
        assert_eq!(file.progress(), Progress::Running { written: 100 });
        assert_eq!(file.wait_beyond(99).written(), 100);
        let err = FetchError::new(FetchErrorKind::TooLarge, "too big");
        writer.end(Err(err.clone()));
        assert_eq!(file.wait_beyond(100), Progress::Failed(err.clone()));
        assert_eq!(file.wait_end(), Err(err));
    }

    #[test]
    fn a_dropped_writer_ends_the_file_with_an_error() {
        let (writer, file) = GrowingWriter::new();
        writer.grew(5);
        let reader = file.clone();
        let waiter = std::thread::spawn(move || reader.wait_end());
        drop(writer);
        let err = waiter.join().expect("waiter").expect_err("abandoned");
        assert_eq!(err.kind, FetchErrorKind::Interrupted);
        assert!(err.transient);
        assert!(err.message.contains("abandoned"), "{}", err.message);
    }

    #[test]
    fn a_complete_file_never_blocks() {
        let file = GrowingFile::complete(done(7));
        assert_eq!(file.wait_beyond(1_000), Progress::Complete(done(7)));
        assert_eq!(file.progress().written(), 7);
        assert!(file.progress().has_ended());
    }
}
