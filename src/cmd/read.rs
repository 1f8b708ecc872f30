//! `layerscope read`: replay capture files through every layer.

use super::exit;
use super::pipeline::{Bpf, OutputOptions, Pipeline, PipelineError, Sink, Step};
use crate::source::file::{FileSource, SourceError};
use crate::source::Frame;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub files: Vec<String>,
    pub output: OutputOptions,
    /// `-c`: stop after this many packets.
    pub count: Option<u64>,
    /// `-f`: BPF filter applied as libpcap applies it to a savefile.
    pub bpf: Option<String>,
    /// Show a progress bar (None: when stderr is a terminal and stdout is not).
    pub progress: Option<bool>,
}

/// Runs `read`; returns the process exit code.
pub fn run(opts: &ReadOptions) -> i32 {
    let stdout = io::stdout().lock();
    let out = io::BufWriter::with_capacity(256 * 1024, stdout);
    run_to(opts, out)
}

/// `run` writing to any output (tests use a buffer).
pub fn run_to<W: Write>(opts: &ReadOptions, out: W) -> i32 {
    let bpf = opts.bpf.as_deref().map(Bpf::new);
    let mut pipe = Pipeline::new(Sink::new(out, &opts.output), bpf, opts.count);
    pipe.set_reassembly(opts.output.reasm);
    if let Err(e) = pipe.set_display_filter(opts.output.display.as_deref()) {
        eprintln!("{e}");
        return super::exit::USAGE;
    }
    let show_progress = opts
        .progress
        .unwrap_or_else(|| io::stderr().is_terminal() && !io::stdout().is_terminal());
    drive(&mut pipe, &opts.files, show_progress)
}

/// Feeds every frame of `files` through `pipe`, with a progress bar when
/// asked; returns the exit code.
pub fn drive<W: Write>(pipe: &mut Pipeline<W>, files: &[String], show_progress: bool) -> i32 {
    let mut code = exit::OK;
    for path in files {
        let src = match FileSource::open(path) {
            Ok(s) => s,
            Err(e) => {
                let _ = pipe.sink.flush();
                eprintln!("layerscope: {}: {}", display_name(path), e);
                code = exit::INPUT;
                break;
            }
        };
        let bar = progress_bar(show_progress, src.total_len(), path);
        // Regular files are read on a second thread; pipes frame by frame.
        let end = if src.total_len().is_some() {
            drive_file(pipe, src, bar.as_ref(), path)
        } else {
            drive_direct(pipe, src, bar.as_ref(), path)
        };
        match end {
            FileEnd::Done => {}
            FileEnd::Stop => break,
            FileEnd::Exit(c) => return c,
            FileEnd::Error(e) => {
                let _ = pipe.sink.flush();
                if let Some(b) = &bar {
                    b.abandon();
                }
                eprintln!("layerscope: {}: {}", display_name(path), e);
                code = exit::INPUT;
                break;
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }
    if let Err(e) = pipe.sink.flush() {
        return io_exit(e);
    }
    if let Some(s) = pipe.reassembly_summary() {
        eprintln!("{s}");
    }
    code
}

/// How one file's frames ended.
enum FileEnd {
    Done,
    /// `-c` reached: no further file.
    Stop,
    /// Return this exit code at once.
    Exit(i32),
    /// The file is unreadable past the frames already handed on.
    Error(SourceError),
}

/// Frames copied out of the reader's buffer, so a second thread can do the
/// read() calls and record parsing while this one dissects.
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
    ts: crate::source::Timestamp,
    wire_len: u32,
    linktype: u32,
    interface: u32,
    at: usize,
    len: usize,
}

/// Frame bytes per batch: small enough to stay in cache between the threads.
const BATCH_BYTES: usize = 256 * 1024;
const BATCH_FRAMES: usize = 4096;

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
        b.bytes_read = src.bytes_read();
        let done = b.done;
        // A consumer that stopped (-c, write error) drops its end.
        if tx.send(b).is_err() || done {
            return;
        }
    }
}

fn drive_file<W: Write>(
    pipe: &mut Pipeline<W>,
    src: FileSource,
    bar: Option<&ProgressBar>,
    path: &str,
) -> FileEnd {
    let (tx, rx) = sync_channel::<Batch>(4);
    let (spent_tx, spent_rx) = channel::<Batch>();
    std::thread::scope(|s| {
        // Named, so profilers and `top -H` tell it from the decoder.
        let reader = std::thread::Builder::new()
            .name("ls-reader".into())
            .spawn_scoped(s, move || produce(src, tx, spent_rx));
        if let Err(e) = reader {
            return FileEnd::Error(SourceError::Io(e));
        }
        let end = consume(pipe, &rx, &spent_tx, bar, path);
        // Unblocks a reader waiting to send before the scope joins it.
        drop(rx);
        end
    })
}

/// Progress for one file: packets so far, updated every 4096 frames.
struct Progress<'b> {
    bar: Option<&'b ProgressBar>,
    path: &'b str,
    started: std::time::Instant,
    number_at_start: u64,
    since_tick: u32,
}

impl<'b> Progress<'b> {
    fn new(bar: Option<&'b ProgressBar>, path: &'b str, number_at_start: u64) -> Self {
        Progress {
            bar,
            path,
            started: std::time::Instant::now(),
            number_at_start,
            since_tick: 0,
        }
    }

    fn tick(&mut self, number: u64, bytes_read: u64) {
        self.since_tick += 1;
        if self.since_tick < 4096 {
            return;
        }
        self.since_tick = 0;
        if let Some(bar) = self.bar {
            bar.set_position(bytes_read);
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let n = number - self.number_at_start;
            bar.set_message(format!(
                "{} {} pkts {:.0} pkt/s",
                display_name(self.path),
                n,
                n as f64 / secs
            ));
        }
    }
}

/// One frame through the pipeline; Some when the file's run ends here.
fn step<W: Write>(pipe: &mut Pipeline<W>, frame: &Frame<'_>) -> Option<FileEnd> {
    match pipe.frame(frame) {
        Ok(Step::Continue) => None,
        Ok(Step::Stop) => Some(FileEnd::Stop),
        Err(PipelineError::Filter(msg)) => {
            let _ = pipe.sink.flush();
            eprintln!("layerscope: {msg}");
            Some(FileEnd::Exit(exit::USAGE))
        }
        Err(PipelineError::Io(e)) => Some(FileEnd::Exit(io_exit(e))),
    }
}

/// A pipe or standard input: frames are handed on as they arrive (a
/// batch would wait for bytes a live writer has not sent yet), and `-c`
/// stops without waiting for more input.
fn drive_direct<W: Write>(
    pipe: &mut Pipeline<W>,
    mut src: FileSource,
    bar: Option<&ProgressBar>,
    path: &str,
) -> FileEnd {
    let mut progress = Progress::new(bar, path, pipe.number);
    loop {
        let frame = match src.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => return FileEnd::Done,
            Err(e) => return FileEnd::Error(e),
        };
        if let Some(end) = step(pipe, &frame) {
            return end;
        }
        progress.tick(pipe.number, src.bytes_read());
    }
}

fn consume<W: Write>(
    pipe: &mut Pipeline<W>,
    rx: &Receiver<Batch>,
    spent: &Sender<Batch>,
    bar: Option<&ProgressBar>,
    path: &str,
) -> FileEnd {
    let mut progress = Progress::new(bar, path, pipe.number);
    // The reader ends every file with a `done` batch; a closed channel
    // without one means it died, and what came is all there is.
    while let Ok(mut b) = rx.recv() {
        for m in &b.frames {
            let Some(bytes) = b.data.get(m.at..m.at + m.len) else {
                continue;
            };
            let frame = Frame {
                ts: m.ts,
                wire_len: m.wire_len,
                linktype: m.linktype,
                interface: m.interface,
                bytes,
            };
            if let Some(end) = step(pipe, &frame) {
                return end;
            }
            progress.tick(pipe.number, b.bytes_read);
        }
        if let Some(e) = b.err.take() {
            return FileEnd::Error(e);
        }
        if b.done {
            return FileEnd::Done;
        }
        let _ = spent.send(b);
    }
    FileEnd::Done
}

fn display_name(path: &str) -> &str {
    if path == "-" {
        "<stdin>"
    } else {
        path
    }
}

/// A closed pipe (`| head`) ends output quietly, as tcpdump does.
fn io_exit(e: io::Error) -> i32 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return exit::OK;
    }
    eprintln!("layerscope: write error: {e}");
    exit::INPUT
}

fn progress_bar(show: bool, total: Option<u64>, path: &str) -> Option<ProgressBar> {
    if !show {
        return None;
    }
    let bar = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr_with_hz(5)),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5)),
    };
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(display_name(path).to_string());
    Some(bar)
}
