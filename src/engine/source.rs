//! Where the engine's frames come from: capture files (read on a second
//! thread), pipes and standard input (frame by frame), frames held in
//! memory, and live captures ([`super::live`]).

use super::EngineError;
use crate::source::file::{Block, Compression, FileSource, SourceError};
use crate::source::{Frame, Timestamp};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a source has next.
pub enum Pull<'a> {
    Frame(Frame<'a>),
    /// Nothing arrived within a read timeout (live captures only).
    Idle,
    /// No more frames.
    End,
}

/// A pulled frame, with the shared block its bytes lie in and their offset
/// there (see [`FrameSource::pull_shared`]).
pub type Shared<'a> = (Pull<'a>, Option<(&'a Block, usize)>);

/// A stream of frames the engine pulls from, one at a time. A frame
/// borrows the source's buffer until the next pull.
pub trait FrameSource {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError>;

    /// As [`FrameSource::pull`], with the block a frame's bytes lie in and
    /// their offset there, when the source reads into blocks it can share:
    /// a consumer on other threads keeps the block rather than copy the
    /// frame.
    fn pull_shared(&mut self) -> Result<Shared<'_>, EngineError> {
        Ok((self.pull()?, None))
    }

    /// Input bytes consumed so far (for a progress bar).
    fn position(&self) -> u64 {
        0
    }

    /// How often the engine ticks its sink while frames arrive; None (files
    /// and pipes) means never.
    fn tick_every(&self) -> Option<Duration> {
        None
    }

    /// The engine stopped pulling (end, count, error): flush what the
    /// source writes on the side.
    fn stopped(&mut self) {}

    /// True when the next pull may wait for input that has not arrived (a
    /// pipe whose writer is live): the engine flushes its sink first, so
    /// rows appear as their frames arrive.
    fn would_wait(&self) -> bool {
        false
    }
}

/// A capture file, or a pipe or standard input (`-`).
pub enum FileFrames {
    /// A regular file: records parsed on a second thread.
    Threaded(ThreadedFile),
    /// A pipe: frames handed on as they arrive (a batch would wait for
    /// bytes a live writer has not sent yet), so `-c` stops without EOF.
    Direct(DirectFile),
}

/// Opens a capture file (`-`: standard input) and reads its header.
pub fn open_file(path: &str) -> Result<FileFrames, EngineError> {
    open_file_on(path, true)
}

/// Opens a capture file as [`open_file`] does, but reads it on the calling
/// thread: for a caller that does little per frame itself, the reader
/// thread's copy of every frame costs more than it saves.
pub fn open_file_here(path: &str) -> Result<FileFrames, EngineError> {
    open_file_on(path, false)
}

/// A regular file is read on a reader thread when `reader_thread`; a pipe
/// always frame by frame, as it arrives.
fn open_file_on(path: &str, reader_thread: bool) -> Result<FileFrames, EngineError> {
    let input = |error| EngineError::Input {
        path: path.to_string(),
        error,
    };
    let src = FileSource::open(path).map_err(input)?;
    Ok(match src.total_len() {
        Some(_) if reader_thread => {
            FileFrames::Threaded(ThreadedFile::start(src, path).map_err(input)?)
        }
        total => FileFrames::Direct(DirectFile {
            total,
            src,
            path: path.to_string(),
        }),
    })
}

/// A capture held in memory (any format and compression `read` takes),
/// read frame by frame.
pub fn from_bytes(data: Vec<u8>) -> Result<FileFrames, EngineError> {
    let path = "(memory)".to_string();
    let src = FileSource::from_reader(Box::new(std::io::Cursor::new(data))).map_err(|error| {
        EngineError::Input {
            path: path.clone(),
            error,
        }
    })?;
    Ok(FileFrames::Direct(DirectFile {
        src,
        path,
        total: None,
    }))
}

impl FileFrames {
    /// The file's size (compressed, for a compressed file); None for pipes.
    pub fn total_len(&self) -> Option<u64> {
        match self {
            FileFrames::Threaded(t) => Some(t.total),
            FileFrames::Direct(d) => d.total,
        }
    }

    /// The compression the input was recognised by, if any.
    pub fn compression(&self) -> Option<Compression> {
        match self {
            FileFrames::Threaded(t) => t.compression,
            FileFrames::Direct(d) => d.src.compression(),
        }
    }
}

impl FrameSource for FileFrames {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        match self {
            FileFrames::Threaded(t) => t.pull(),
            FileFrames::Direct(d) => d.pull(),
        }
    }

    fn pull_shared(&mut self) -> Result<Shared<'_>, EngineError> {
        match self {
            FileFrames::Threaded(t) => Ok((t.pull()?, None)),
            FileFrames::Direct(d) => d.pull_shared(),
        }
    }

    fn position(&self) -> u64 {
        match self {
            FileFrames::Threaded(t) => t.position(),
            FileFrames::Direct(d) => d.position(),
        }
    }

    fn would_wait(&self) -> bool {
        match self {
            FileFrames::Threaded(_) => false,
            FileFrames::Direct(d) => d.would_wait(),
        }
    }
}

/// A pipe or standard input, read frame by frame.
pub struct DirectFile {
    src: FileSource,
    path: String,
    /// A regular file's size (None: a pipe).
    total: Option<u64>,
}

impl FrameSource for DirectFile {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        match self.src.next_frame() {
            Ok(Some(f)) => Ok(Pull::Frame(f)),
            Ok(None) => Ok(Pull::End),
            Err(error) => Err(EngineError::Input {
                path: self.path.clone(),
                error,
            }),
        }
    }

    fn pull_shared(&mut self) -> Result<Shared<'_>, EngineError> {
        match self.src.next_frame_shared() {
            Ok(Some((f, b, off))) => Ok((Pull::Frame(f), Some((b, off)))),
            Ok(None) => Ok((Pull::End, None)),
            Err(error) => Err(EngineError::Input {
                path: self.path.clone(),
                error,
            }),
        }
    }

    fn position(&self) -> u64 {
        self.src.progress()
    }

    fn would_wait(&self) -> bool {
        self.total.is_none() && !self.src.next_buffered()
    }
}

/// Frames copied out of the reader's buffer, so a second thread can do the
/// read() calls and record parsing while the engine dissects.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    frames: Vec<Meta>,
    bytes_read: u64,
    /// The last batch: the file ended (with `err` if it ended badly).
    done: bool,
    err: Option<SourceError>,
}

struct Meta {
    ts: Timestamp,
    wire_len: u32,
    linktype: u32,
    interface: u32,
    ts_digits: u8,
    at: usize,
    len: usize,
}

/// Frame bytes per batch: small enough to stay in cache between the threads.
const BATCH_BYTES: usize = 256 * 1024;
const BATCH_FRAMES: usize = 4096;

/// A regular file whose records a reader thread parses into batches.
pub struct ThreadedFile {
    path: String,
    total: u64,
    compression: Option<Compression>,
    rx: Option<Receiver<Batch>>,
    spent: Sender<Batch>,
    reader: Option<JoinHandle<()>>,
    batch: Batch,
    /// Next frame of `batch`.
    next: usize,
    /// The reader is done (or gone): no batch will come.
    ended: bool,
}

impl ThreadedFile {
    fn start(src: FileSource, path: &str) -> Result<ThreadedFile, SourceError> {
        let total = src.total_len().unwrap_or(0);
        let compression = src.compression();
        let (tx, rx) = sync_channel::<Batch>(4);
        let (spent_tx, spent_rx) = channel::<Batch>();
        // Named, so profilers and `top -H` tell it from the decoder.
        let reader = std::thread::Builder::new()
            .name("ls-reader".into())
            .spawn(move || produce(src, tx, spent_rx))
            .map_err(SourceError::Io)?;
        Ok(ThreadedFile {
            path: path.to_string(),
            total,
            compression,
            rx: Some(rx),
            spent: spent_tx,
            reader: Some(reader),
            batch: Batch::default(),
            next: 0,
            ended: false,
        })
    }

    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        loop {
            if let Some(m) = self.batch.frames.get(self.next) {
                self.next += 1;
                let range = m.at..m.at.saturating_add(m.len);
                // Checked first: a borrow taken only on the returning path.
                if range.end <= self.batch.data.len() {
                    return Ok(Pull::Frame(Frame {
                        ts: m.ts,
                        wire_len: m.wire_len,
                        linktype: m.linktype,
                        interface: m.interface,
                        ts_digits: m.ts_digits,
                        bytes: &self.batch.data[range],
                    }));
                }
                continue;
            }
            if let Some(error) = self.batch.err.take() {
                self.ended = true;
                return Err(EngineError::Input {
                    path: self.path.clone(),
                    error,
                });
            }
            if self.ended || self.batch.done {
                self.ended = true;
                return Ok(Pull::End);
            }
            let spent = std::mem::take(&mut self.batch);
            if spent.data.capacity() > 0 {
                let _ = self.spent.send(spent);
            }
            // The reader ends every file with a `done` batch; a closed
            // channel without one means it died, and what came is all there is.
            match self.rx.as_ref().map(Receiver::recv) {
                Some(Ok(b)) => {
                    self.batch = b;
                    self.next = 0;
                }
                _ => {
                    self.ended = true;
                    return Ok(Pull::End);
                }
            }
        }
    }

    fn position(&self) -> u64 {
        self.batch.bytes_read
    }
}

impl Drop for ThreadedFile {
    fn drop(&mut self) {
        // Unblocks a reader waiting to send before joining it.
        drop(self.rx.take());
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The reader thread: parses records into batches, reusing the buffers the
/// consumer hands back (fresh pages would cost page faults).
fn produce(mut src: FileSource, tx: SyncSender<Batch>, spent: Receiver<Batch>) {
    loop {
        let mut b = spent.try_recv().unwrap_or_else(|_| Batch {
            data: Vec::with_capacity(BATCH_BYTES + 65536),
            frames: Vec::with_capacity(BATCH_FRAMES),
            ..Default::default()
        });
        b.data.clear();
        b.frames.clear();
        while b.data.len() < BATCH_BYTES && b.frames.len() < BATCH_FRAMES {
            match src.next_frame() {
                Ok(Some(f)) => {
                    b.frames.push(Meta {
                        ts: f.ts,
                        wire_len: f.wire_len,
                        linktype: f.linktype,
                        interface: f.interface,
                        ts_digits: f.ts_digits,
                        at: b.data.len(),
                        len: f.bytes.len(),
                    });
                    b.data.extend_from_slice(f.bytes);
                }
                Ok(None) => {
                    b.done = true;
                    break;
                }
                Err(e) => {
                    b.done = true;
                    b.err = Some(e);
                    break;
                }
            }
        }
        b.bytes_read = src.progress();
        let done = b.done;
        // A consumer that stopped (-c, write error) drops its end.
        if tx.send(b).is_err() || done {
            return;
        }
    }
}

/// A frame held in memory (e.g. kept from a live capture to replay).
#[derive(Clone, Debug)]
pub struct OwnedFrame {
    pub ts: Timestamp,
    pub wire_len: u32,
    pub bytes: Vec<u8>,
}

/// Frames held in memory, all of one link type.
pub struct MemoryFrames<'a> {
    frames: std::slice::Iter<'a, OwnedFrame>,
    linktype: u32,
}

impl<'a> MemoryFrames<'a> {
    pub fn new(frames: &'a [OwnedFrame], linktype: u32) -> Self {
        MemoryFrames {
            frames: frames.iter(),
            linktype,
        }
    }
}

impl FrameSource for MemoryFrames<'_> {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        Ok(match self.frames.next() {
            Some(f) => Pull::Frame(Frame {
                ts: f.ts,
                wire_len: f.wire_len,
                linktype: self.linktype,
                interface: 0,
                ts_digits: 9,
                bytes: &f.bytes,
            }),
            None => Pull::End,
        })
    }
}
