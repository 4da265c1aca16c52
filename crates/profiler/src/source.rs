//! Opening the file being profiled, which may still be downloading.
//!
//! A caller that profiles a download while it streams puts a [`Growing`]
//! handle in [`ProfileOptions::growing`]: the file at that path is then read
//! through a [`GrowingReader`], which at the current end of the file waits
//! (blocking: the profiler runs on a thread that may block) for more bytes
//! or for the end of the download, and turns a failed download into an I/O
//! error. Any other path (an archive member extracted to a temporary file)
//! is a complete file, opened as usual.
//!
//! Sequential reads need nothing more. What needs the whole file first (its
//! size, its end: zip's central directory, a split into parts) asks
//! [`wait_complete`] or [`SourceFile::complete_len`].

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ProfileOptions;

/// How much of a growing file there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Bytes in the file that may be read.
    pub len: u64,
    /// No more bytes will come.
    pub complete: bool,
}

/// What the profiler needs to know of a download in progress; implemented
/// by whoever runs the download.
pub trait Growth: Send + Sync + fmt::Debug {
    /// Where the file stands now, without waiting.
    fn extent(&self) -> io::Result<Extent>;

    /// Blocks until the file holds more than `offset` bytes or is complete.
    /// An error is the download's failure: the file will never be whole.
    fn wait_beyond(&self, offset: u64) -> io::Result<Extent>;
}

/// A file at `path` that is still being written, and how far it is.
#[derive(Debug, Clone)]
pub struct Growing {
    path: PathBuf,
    growth: Arc<dyn Growth>,
}

impl Growing {
    pub fn new(path: impl Into<PathBuf>, growth: Arc<dyn Growth>) -> Self {
        Growing {
            path: path.into(),
            growth,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocks until the file is complete; its length.
    pub fn wait_complete(&self) -> io::Result<u64> {
        loop {
            let extent = self.growth.wait_beyond(u64::MAX)?;
            if extent.complete {
                return Ok(extent.len);
            }
        }
    }
}

/// The growing-file handle that applies to `path`, if any.
fn growing_for<'a>(path: &Path, opts: &'a ProfileOptions) -> Option<&'a Growing> {
    opts.growing.as_ref().filter(|g| g.path == path)
}

/// Opens `path` for reading: through a [`GrowingReader`] when it is the
/// file `opts` says is still downloading, as a plain file otherwise.
pub fn open(path: &Path, opts: &ProfileOptions) -> io::Result<SourceFile> {
    let file = File::open(path)?;
    Ok(match growing_for(path, opts) {
        Some(growing) => SourceFile::Growing(GrowingReader::new(file, Arc::clone(&growing.growth))),
        None => SourceFile::Whole(file),
    })
}

/// Blocks until `path` is complete, when it is the file `opts` says is
/// still downloading; at once otherwise.
pub fn wait_complete(path: &Path, opts: &ProfileOptions) -> io::Result<()> {
    if let Some(growing) = growing_for(path, opts) {
        let len = growing.wait_complete()?;
        tracing::debug!(path = %path.display(), len, "waited for the whole download");
    }
    Ok(())
}

/// A source file, whole or still growing.
#[derive(Debug)]
pub enum SourceFile {
    Whole(File),
    Growing(GrowingReader),
}

impl SourceFile {
    /// The file's length if it is complete now; `None` while it grows.
    pub fn complete_len(&self) -> io::Result<Option<u64>> {
        match self {
            SourceFile::Whole(file) => file.metadata().map(|m| Some(m.len())),
            SourceFile::Growing(reader) => {
                let extent = reader.growth.extent()?;
                Ok(extent.complete.then_some(extent.len))
            }
        }
    }

    /// The plain file once it is complete (waiting for it if it grows).
    pub fn into_whole(self) -> io::Result<File> {
        match self {
            SourceFile::Whole(file) => Ok(file),
            SourceFile::Growing(mut reader) => {
                let extent = reader.wait_complete()?;
                let mut file = reader.file;
                file.seek(SeekFrom::Start(reader.pos.min(extent.len)))?;
                Ok(file)
            }
        }
    }
}

impl Read for SourceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SourceFile::Whole(file) => file.read(buf),
            SourceFile::Growing(reader) => reader.read(buf),
        }
    }
}

impl Seek for SourceFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            SourceFile::Whole(file) => file.seek(pos),
            SourceFile::Growing(reader) => reader.seek(pos),
        }
    }
}

/// Reads a file that is still being written: never past the length the
/// writer has published, waiting at that length for more or for the end.
pub struct GrowingReader {
    file: File,
    growth: Arc<dyn Growth>,
    /// Where the next read starts.
    pos: u64,
    /// The extent last learnt from `growth`.
    known: Extent,
    /// Whether a read has already been served while the file grew (logged
    /// once).
    overlapped: bool,
}

impl fmt::Debug for GrowingReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowingReader")
            .field("pos", &self.pos)
            .field("known", &self.known)
            .finish_non_exhaustive()
    }
}

impl GrowingReader {
    fn new(file: File, growth: Arc<dyn Growth>) -> Self {
        GrowingReader {
            file,
            growth,
            pos: 0,
            known: Extent {
                len: 0,
                complete: false,
            },
            overlapped: false,
        }
    }

    fn wait_complete(&mut self) -> io::Result<Extent> {
        while !self.known.complete {
            self.known = self.growth.wait_beyond(u64::MAX)?;
        }
        Ok(self.known)
    }
}

impl Read for GrowingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.known.len {
            if self.known.complete {
                return Ok(0);
            }
            self.known = self.growth.wait_beyond(self.pos)?;
        }
        if !self.known.complete && !self.overlapped {
            self.overlapped = true;
            tracing::debug!(
                offset = self.pos,
                available = self.known.len,
                "reading a file still downloading"
            );
        }
        let available = self.known.len - self.pos;
        let want = buf
            .len()
            .min(usize::try_from(available).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            // The writer published bytes that are not in the file.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the downloaded file ends at {} bytes, before the {} announced",
                    self.pos, self.known.len
                ),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for GrowingReader {
    /// Seeks from the start or from here at once (a later read waits for
    /// the bytes); from the end once the file is complete.
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
            SeekFrom::End(delta) => self.wait_complete()?.len.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )
        })?;
        self.pos = self.file.seek(SeekFrom::Start(target))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Condvar, Mutex};

    /// A growth driven by the test: a length, then complete or failed.
    #[derive(Debug, Default)]
    struct Scripted {
        state: Mutex<(u64, Option<Result<(), String>>)>,
        changed: Condvar,
    }

    impl Scripted {
        fn grow(&self, len: u64) {
            if let Ok(mut state) = self.state.lock() {
                state.0 = len;
            }
            self.changed.notify_all();
        }

        fn end(&self, outcome: Result<(), String>) {
            if let Ok(mut state) = self.state.lock() {
                state.1 = Some(outcome);
            }
            self.changed.notify_all();
        }

        fn extent_of(state: &(u64, Option<Result<(), String>>)) -> io::Result<Extent> {
            match &state.1 {
                Some(Err(message)) => Err(io::Error::other(message.clone())),
                Some(Ok(())) => Ok(Extent {
                    len: state.0,
                    complete: true,
                }),
                None => Ok(Extent {
                    len: state.0,
                    complete: false,
                }),
            }
        }
    }

    impl Growth for Scripted {
        fn extent(&self) -> io::Result<Extent> {
            let state = self
                .state
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            Scripted::extent_of(&state)
        }

        fn wait_beyond(&self, offset: u64) -> io::Result<Extent> {
            let state = self
                .state
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            let state = self
                .changed
                .wait_while(state, |s| s.1.is_none() && s.0 <= offset)
                .map_err(|_| io::Error::other("poisoned"))?;
            Scripted::extent_of(&state)
        }
    }

    fn growing_file() -> (tempfile::NamedTempFile, Arc<Scripted>, ProfileOptions) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let growth = Arc::new(Scripted::default());
        let opts = ProfileOptions {
            growing: Some(Growing::new(file.path(), growth.clone())),
            ..ProfileOptions::default()
        };
        (file, growth, opts)
    }

    #[test]
    fn reads_what_is_published_then_waits_for_the_rest() {
        let (mut file, growth, opts) = growing_file();
        // Bytes in the file but not yet published are not read.
        file.write_all(b"code;nom\n01001;L'Abergement\n")
            .expect("write");
        file.flush().expect("flush");
        growth.grow(9);
        let mut source = open(file.path(), &opts).expect("open");
        assert!(matches!(source, SourceFile::Growing(_)));
        assert_eq!(source.complete_len().expect("extent"), None);
        let mut buf = [0u8; 64];
        let n = source.read(&mut buf).expect("read");
        assert_eq!(&buf[..n], b"code;nom\n");

        let writer = {
            let growth = Arc::clone(&growth);
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                growth.grow(28);
                growth.end(Ok(()));
            })
        };
        let mut rest = String::new();
        source.read_to_string(&mut rest).expect("rest");
        writer.join().expect("writer");
        assert_eq!(rest, "01001;L'Abergement\n");
        assert_eq!(source.complete_len().expect("extent"), Some(28));
    }

    #[test]
    fn a_failed_download_is_an_io_error_at_the_end_of_what_was_written() {
        let (mut file, growth, opts) = growing_file();
        file.write_all(b"a;b\n1;2\n").expect("write");
        growth.grow(8);
        growth.end(Err("fetch: HTTP 503 Service Unavailable".to_owned()));
        let mut source = open(file.path(), &opts).expect("open");
        let mut text = String::new();
        let err = source.read_to_string(&mut text).expect_err("failed");
        assert_eq!(err.to_string(), "fetch: HTTP 503 Service Unavailable");
        let err = wait_complete(file.path(), &opts).expect_err("never whole");
        assert_eq!(err.to_string(), "fetch: HTTP 503 Service Unavailable");
    }

    #[test]
    fn seeks_wait_only_when_they_need_the_end() {
        let (mut file, growth, opts) = growing_file();
        file.write_all(b"\xEF\xBB\xBF[1,2]").expect("write");
        growth.grow(3);
        let mut source = open(file.path(), &opts).expect("open");
        assert_eq!(source.seek(SeekFrom::Start(3)).expect("seek"), 3);
        growth.grow(8);
        growth.end(Ok(()));
        let mut text = String::new();
        source.read_to_string(&mut text).expect("read");
        assert_eq!(text, "[1,2]");
        assert_eq!(source.seek(SeekFrom::End(-2)).expect("seek"), 6);
        let mut whole = source.into_whole().expect("complete");
        let mut tail = String::new();
        whole.read_to_string(&mut tail).expect("tail");
        assert_eq!(tail, "2]");
    }

    #[test]
    fn other_paths_open_as_whole_files() {
        let (_file, _growth, opts) = growing_file();
        let other = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(other.path(), b"x;y\n").expect("write");
        let source = open(other.path(), &opts).expect("open");
        assert!(matches!(source, SourceFile::Whole(_)));
        assert_eq!(source.complete_len().expect("len"), Some(4));
        wait_complete(other.path(), &opts).expect("a whole file never waits");
    }
}
