//! Reading STIX input files: small files are read whole (fastest), large ones streamed (so a
//! multi-gigabyte bundle never sits in memory), `-` is standard input. Bytes read are counted
//! for progress.

use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pacto_stix::{Envelope, RawObject, ReadError};

/// Files up to this size are read whole.
const WHOLE_FILE_LIMIT: u64 = 64 * 1024 * 1024;

/// A source of STIX content with its display name and size (when known).
pub struct Source {
    path: Option<std::path::PathBuf>,
    pub size: Option<u64>,
    reader: Box<dyn Read + Send>,
    pub read_bytes: Arc<AtomicU64>,
}

impl Source {
    pub fn open(path: &Path) -> io::Result<Source> {
        let read_bytes = Arc::new(AtomicU64::new(0));
        if path.as_os_str() == "-" {
            return Ok(Source { path: None, size: None, reader: Box::new(io::stdin()), read_bytes });
        }
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        Ok(Source { path: Some(path.to_path_buf()), size: Some(meta.len()), reader: Box::new(file), read_bytes })
    }

    /// A source over bytes already in memory (a converted file).
    pub fn from_bytes(bytes: Vec<u8>) -> Source {
        let size = Some(bytes.len() as u64);
        Source { path: None, size, reader: Box::new(io::Cursor::new(bytes)), read_bytes: Arc::new(AtomicU64::new(0)) }
    }

    /// Read every object, calling `f` for each.
    pub fn for_each<E, F>(self, f: F) -> Result<Envelope, SourceError<E>>
    where
        F: FnMut(RawObject<'_>) -> Result<(), E>,
    {
        let counter = self.read_bytes.clone();
        if self.size.is_some_and(|s| s <= WHOLE_FILE_LIMIT) {
            let mut bytes = Vec::with_capacity(self.size.unwrap_or(0) as usize);
            let mut reader = self.reader;
            reader.read_to_end(&mut bytes).map_err(SourceError::Io)?;
            counter.store(bytes.len() as u64, Ordering::Relaxed);
            return pacto_stix::read_objects_from_slice(&bytes, f).map_err(SourceError::Read);
        }
        // A large file is read twice: once, skipping over the objects, for a bundle
        // spec_version that may follow them; then for the objects. Standard input is read once.
        let hint = self
            .path
            .as_ref()
            .and_then(|p| std::fs::File::open(p).ok())
            .and_then(pacto_stix::bundle::peek_bundle_spec_version);
        let counting = Counting { inner: self.reader, count: counter };
        let buffered = BufReader::with_capacity(1 << 20, counting);
        pacto_stix::read_objects(buffered, hint, f).map_err(SourceError::Read)
    }
}

#[derive(Debug)]
pub enum SourceError<E> {
    Io(io::Error),
    Read(ReadError<E>),
}

struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What a read error means, in plain words to follow the file's name (`README.md is not
/// JSON: …`): content that is not JSON at all, JSON broken after `read` objects, or JSON that
/// is not STIX content.
pub fn explain<E: std::fmt::Display>(e: &ReadError<E>, read: u64) -> String {
    match e {
        // serde's word for well-formed JSON of the wrong shape (a number, a string at the top).
        ReadError::Json { message, .. } if message.starts_with("invalid type") => {
            format!("is not STIX content: {message}")
        }
        ReadError::Json { line, column, message } if read == 0 => {
            format!("is not JSON: line {line}, column {column}: {message}")
        }
        ReadError::Json { line, column, message } => {
            format!("is broken JSON at line {line}, column {column} (after {read} objects): {message}")
        }
        ReadError::Shape(why) => format!("is not STIX content: {why}"),
        ReadError::Callback(e) => format!("could not be stored: {e}"),
    }
}

/// The name in `names` closest to `wanted` (by edit distance, ignoring case), if one is close
/// enough to be a likely typo.
pub fn closest<'a>(wanted: &str, names: &'a [String]) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    names
        .iter()
        .map(|n| (strsim::levenshtein(&wanted, &n.to_lowercase()), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}
