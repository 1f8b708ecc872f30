//! `layerscope flows`: one row per conversation, as `tshark -z conv,tcp`.

use super::{exit, SourceOptions};
use crate::engine::ReasmOptions;
use crate::output::flows::FlowsSink;
use std::io::{self, Write};
use std::time::Duration;

pub use crate::output::flows::{FlowFormat, SortKey, CLOSE_LINGER};

#[derive(Clone, Debug)]
pub struct FlowsOptions {
    pub source: SourceOptions,
    pub format: FlowFormat,
    pub sort: SortKey,
    /// Cap on open conversations.
    pub max_open: usize,
    /// Idle timeout, seconds of capture time.
    pub idle_secs: u64,
    /// `-w`: the Parquet output (`-`: standard output); only with `--format parquet`.
    pub write: Option<String>,
    /// `--threads`: decoding threads for capture files.
    pub threads: usize,
}

impl Default for FlowsOptions {
    fn default() -> Self {
        FlowsOptions {
            source: Default::default(),
            format: FlowFormat::Table,
            sort: SortKey::Start,
            max_open: crate::flow::conversations::DEFAULT_MAX_OPEN,
            idle_secs: crate::flow::conversations::DEFAULT_IDLE_SECS,
            write: None,
            threads: 1,
        }
    }
}

/// How often a live capture looks at its conversations (closed ones to
/// emit, idle ones to close by the wall clock).
const TICK: Duration = Duration::from_millis(100);

/// Runs `flows`; returns the process exit code.
pub fn run(opts: &FlowsOptions) -> i32 {
    use std::io::IsTerminal;
    if let Some(code) = parquet(opts) {
        return code;
    }
    let refresh = io::stdout().is_terminal();
    let stdout = io::stdout().lock();
    if opts.source.line_buffered {
        // Standard output is line-buffered by itself.
        return run_with(
            opts,
            stdout,
            refresh,
            crate::output::style::terminal_width(),
        );
    }
    let out = io::BufWriter::with_capacity(256 * 1024, stdout);
    run_with(opts, out, refresh, crate::output::style::terminal_width())
}

/// `--format parquet` and `-w`: checked, and run to the file. None: neither
/// is asked for.
fn parquet(opts: &FlowsOptions) -> Option<i32> {
    use std::io::IsTerminal;
    let usage = |m: &str| {
        eprintln!("layerscope: {m}");
        Some(exit::USAGE)
    };
    match (opts.format, opts.write.as_deref()) {
        (FlowFormat::Parquet, None) => usage(
            "--format parquet needs -w FILE (or -w - for standard output): Parquet is not for a terminal",
        ),
        (FlowFormat::Parquet, Some("-")) if io::stdout().is_terminal() => usage(
            "--format parquet -w - writes binary data: redirect standard output to a file or a pipe",
        ),
        (FlowFormat::Parquet, Some("-")) => Some(run_with(
            opts,
            io::BufWriter::with_capacity(1 << 20, io::stdout().lock()),
            false,
            None,
        )),
        (FlowFormat::Parquet, Some(path)) => match std::fs::File::create(path) {
            Ok(f) => Some(run_with(
                opts,
                io::BufWriter::with_capacity(1 << 20, f),
                false,
                None,
            )),
            Err(e) => {
                eprintln!("layerscope: {path}: {e}");
                Some(exit::INPUT)
            }
        },
        (_, Some(_)) => usage("flows -w writes Parquet: add --format parquet"),
        (_, None) => None,
    }
}

/// `run` writing to any output (tests use a buffer).
pub fn run_to<W: Write>(opts: &FlowsOptions, out: W) -> i32 {
    run_with(opts, out, false, None)
}

/// Files: the rows once the input is read. Live (`-i`): a view refreshed
/// in place on a terminal (`refresh`), or with `--format jsonl` a line per
/// conversation as it closes; the full rows when the capture stops.
/// `width`: fit the table to a terminal this wide.
fn run_with<W: Write>(opts: &FlowsOptions, out: W, refresh: bool, width: Option<usize>) -> i32 {
    let src = &opts.source;
    let mut sink = FlowsSink::new(out, opts.format, opts.sort, opts.max_open, opts.idle_secs)
        .with_width(width);
    let (reasm, max_flows) = if src.is_live() {
        sink = sink.live(&src.interface(), refresh);
        (ReasmOptions::default(), None)
    } else {
        // IP defragmentation on, as tshark's default: a fragmented datagram
        // counts in its transport conversation once. TCP reassembly changes
        // no count, and the first segment of a PDU names its protocol, so it
        // runs only when a display filter may test fields of reassembled
        // PDUs. Stream numbering is bounded by the same cap as the
        // conversations.
        let reasm = ReasmOptions {
            tcp: src.display.is_some(),
            ..Default::default()
        };
        (reasm, Some(opts.max_open))
    };
    let threads = src.threads_for(opts.threads);
    if threads > 1 {
        let (code, mut engine) =
            match src.drive_parallel(sink, reasm, max_flows, threads, opts.write.as_deref()) {
                Ok(r) => r,
                Err(c) => return c,
            };
        let finished = engine.finish();
        super::print_evictions(engine.evictions(), reasm);
        let evicted = engine.whole().evicted();
        return finish(opts, code, finished, evicted);
    }
    let mut engine = match src.engine(reasm, max_flows) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let code = match src.drive(&mut engine, &mut sink, TICK, opts.write.as_deref()) {
        Ok(c) => c,
        Err(c) => return c,
    };
    let finished = engine.finish(&mut sink);
    finish(opts, code, finished, sink.evicted())
}

/// The closing messages: a write error (other than a closed pipe) is one;
/// evictions are reported either way.
fn finish(opts: &FlowsOptions, code: i32, finished: io::Result<()>, evicted: u64) -> i32 {
    if let Err(e) = finished {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if evicted > 0 {
        eprintln!(
            "layerscope: flows: {evicted} conversations closed early (cap of {} open, or idle > {} s); a conversation seen again continues in its row",
            opts.max_open, opts.idle_secs
        );
    }
    code
}
