//! `layerscope read`: replay capture files through every layer.

use super::{
    display_filter, drive_files, drive_runner, io_exit, print_evictions, print_reassembly, Driven,
    OutputOptions,
};
use crate::engine::parallel::{Parallel, Split};
use crate::engine::sandbox::Allow;
use crate::engine::{Engine, EngineOptions, Sink};
use crate::output::pcapwrite::{WriteFormat, WriteOptions};
use crate::output::savefile::{inputs_need_nanos, Rotation, SaveOptions, SaveSink};
use crate::output::writer::{Format, SplitRows};
use crate::output::PacketWriter;
use std::io::{self, IsTerminal, Write};

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
    /// `-w`: write the packets that pass both filters to this file (`-`:
    /// standard output).
    pub write: Option<String>,
    /// `--write-format`; None: from the file name.
    pub write_format: Option<WriteFormat>,
    /// `-P`: print rows even with `-w` (on stderr when writing to stdout).
    pub print: bool,
    /// `-l`: every row goes out as it is written.
    pub line_buffered: bool,
    /// `--threads`: decoding threads for regular files.
    pub threads: usize,
    /// `--format parquet`: `-w` names the Parquet output.
    pub parquet: Option<super::parquet::ParquetOptions>,
    /// Confinement before the first byte of input is read.
    pub sandbox: super::sandbox::SandboxOptions,
}

/// Runs `read`; returns the process exit code.
pub fn run(opts: &ReadOptions) -> i32 {
    if let Some(pq) = &opts.parquet {
        return super::parquet::run_read(opts, pq);
    }
    let Some(path) = opts.write.as_deref() else {
        let stdout = io::stdout().lock();
        if opts.line_buffered {
            // Standard output is line-buffered by itself.
            return run_to(opts, stdout);
        }
        return run_to(opts, io::BufWriter::with_capacity(256 * 1024, stdout));
    };
    let format = opts
        .write_format
        .unwrap_or_else(|| WriteFormat::for_path(path));
    let mut write = WriteOptions::new(format);
    write.nanos = inputs_need_nanos(&opts.files);
    let save = match SaveSink::create(SaveOptions {
        path: path.to_string(),
        write,
        rotation: Rotation::default(),
        packet_buffered: false,
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return super::exit::INPUT;
        }
    };
    let o = &opts.output;
    // As tshark: with -w nothing is printed unless -P asks, and never on
    // the standard output that carries the capture.
    let rows: Option<Box<dyn RowSink>> = match (opts.print, path == "-") {
        (false, _) => None,
        (true, true) => Some(Box::new(o.writer(io::BufWriter::new(io::stderr())))),
        (true, false) => Some(Box::new(o.writer(io::BufWriter::with_capacity(
            256 * 1024,
            io::stdout().lock(),
        )))),
    };
    let mut sinks = (rows, save);
    let code = drive(opts, &mut sinks, |s| {
        if let Some(r) = &mut s.0 {
            let _ = r.flush_rows();
        }
    });
    if code != 0 {
        // The file stays valid with what was written before the error.
        let _ = sinks.1.finish(&Default::default());
    }
    code
}

/// A row writer behind a box: a sink that can also be flushed.
trait RowSink: Sink {
    fn flush_rows(&mut self) -> io::Result<()>;
}

impl<W: Write> RowSink for PacketWriter<W> {
    fn flush_rows(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// `run` writing to any output (tests use a buffer).
pub fn run_to<W: Write>(opts: &ReadOptions, out: W) -> i32 {
    let o = &opts.output;
    let plain = o.format == Format::Table && o.fields.is_none();
    let threads = opts.threads_for(plain);
    if threads > 1 {
        let parts = o.clone();
        let make = Box::new(move || parts.writer(Vec::new()));
        let rows = SplitRows::new(o.writer(out), make, o.shows_streams());
        return drive_parallel(opts, rows, threads, |_| {});
    }
    let mut sink = o.writer(out);
    drive(opts, &mut sink, |w| {
        let _ = w.flush();
    })
}

impl ReadOptions {
    /// The decoding threads this run can use: one unless every input is a
    /// regular file (a pipe's rows go out as its frames arrive) and rows
    /// need not go out one by one (`-l`). With a display filter, only when
    /// no column shows `frame.time_delta_displayed` (`plain_rows`), which
    /// depends on every earlier frame's verdict.
    pub fn threads_for(&self, plain_rows: bool) -> usize {
        let o = &self.output;
        let files = self
            .files
            .iter()
            .all(|f| f != "-" && std::fs::metadata(f).is_ok_and(|m| m.is_file()));
        let display_ok = o.display.is_none()
            || (plain_rows
                && o.time_format != crate::dissect::timefmt::TimeFormat::DeltaDisplayed
                && !super::order_bound(o.display.as_deref()));
        if files && display_ok && !self.line_buffered {
            self.threads
        } else {
            1
        }
    }
}

/// The files through the parallel engine into `whole`, finished (then
/// handed to `done`); the exit code.
pub(super) fn drive_parallel<S: Split>(
    opts: &ReadOptions,
    whole: S,
    threads: usize,
    done: impl FnOnce(&mut S),
) -> i32 {
    let eopts = match engine_options(opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let reasm = eopts.reasm;
    if let Err(code) = confine(opts) {
        return code;
    }
    let mut engine = match Parallel::new(eopts, threads, whole) {
        Ok(e) => e,
        Err(e) => return io_exit(e),
    };
    let code = match drive_runner(&mut engine, &opts.files, show_progress(opts)) {
        Driven::Done(code) => code,
        Driven::Exit(code) => return code,
    };
    let finished = engine.finish();
    done(engine.whole());
    if let Err(e) = finished {
        return io_exit(e);
    }
    print_evictions(engine.evictions(), reasm);
    code
}

/// The engine's options for `read` (the display filter compiled); Err is
/// the exit code, after the message.
fn engine_options(opts: &ReadOptions) -> Result<EngineOptions, i32> {
    let o = &opts.output;
    Ok(EngineOptions {
        count: opts.count,
        bpf: opts.bpf.clone(),
        display: display_filter(o.display.as_deref())?,
        reasm: o.reasm,
        max_flows: None,
        plain: false,
    })
}

/// A progress bar when asked, or when stderr is a terminal and stdout is not.
fn show_progress(opts: &ReadOptions) -> bool {
    opts.progress
        .unwrap_or_else(|| io::stderr().is_terminal() && !io::stdout().is_terminal())
}

/// Enters the sandbox: the inputs readable, the output (open, or its
/// directory made, by now) writable. Before any decoding thread starts.
fn confine(opts: &ReadOptions) -> Result<(), i32> {
    let out = super::sandbox::output(opts.write.as_deref());
    let partition = opts.parquet.as_ref().is_some_and(|p| p.partition_hour);
    let allow = Allow {
        read: super::sandbox::inputs(&opts.files),
        write_files: if partition { Vec::new() } else { out.clone() },
        write_dirs: if partition { out } else { Vec::new() },
    };
    super::sandbox::enter(&opts.sandbox, &allow)
}

/// The files through the engine into `sink`, finished; the exit code.
pub(super) fn drive<K: Sink>(opts: &ReadOptions, sink: &mut K, flush: impl FnMut(&mut K)) -> i32 {
    let eopts = match engine_options(opts) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if let Err(code) = confine(opts) {
        return code;
    }
    let mut engine = Engine::new(eopts);
    let code = match drive_files(&mut engine, sink, &opts.files, show_progress(opts), flush) {
        Driven::Done(code) => code,
        Driven::Exit(code) => return code,
    };
    if let Err(e) = engine.finish(sink) {
        return io_exit(e);
    }
    print_reassembly(&engine);
    code
}
