//! `layerscope stats`: protocol hierarchy (as `tshark -q -z io,phs`), then
//! ports and endpoints tables built from the conversations.

use super::{exit, SourceOptions};
use crate::engine::ReasmOptions;
use crate::output::stats::StatsSink;
use std::io::{self, Write};
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct StatsOptions {
    pub source: SourceOptions,
    pub max_open: usize,
    pub idle_secs: u64,
    /// `--threads`: decoding threads for capture files.
    pub threads: usize,
}

pub fn run(opts: &StatsOptions) -> i32 {
    use std::io::IsTerminal;
    let refresh = opts.source.is_live() && io::stdout().is_terminal();
    let stdout = io::stdout().lock();
    if opts.source.line_buffered {
        // Standard output is line-buffered by itself.
        return run_fit(
            opts,
            stdout,
            refresh,
            crate::output::style::terminal_width(),
        );
    }
    run_fit(
        opts,
        io::BufWriter::new(stdout),
        refresh,
        crate::output::style::terminal_width(),
    )
}

pub fn run_to<W: Write>(opts: &StatsOptions, out: W) -> i32 {
    run_live_to(opts, out, false)
}

/// `run_to`; with `refresh` (a live capture on a terminal) the report is
/// also redrawn in place about once a second, cut to the terminal's height.
pub fn run_live_to<W: Write>(opts: &StatsOptions, out: W, refresh: bool) -> i32 {
    run_fit(opts, out, refresh, None)
}

/// `run_live_to`, the tables fit to a terminal `width` columns wide.
fn run_fit<W: Write>(opts: &StatsOptions, out: W, refresh: bool, width: Option<usize>) -> i32 {
    let src = &opts.source;
    let mut sink = StatsSink::new(out, opts.max_open, opts.idle_secs).with_width(width);
    if src.is_live() {
        sink = sink.live(&src.interface(), refresh);
    }
    let threads = src.threads_for(opts.threads);
    if threads > 1 {
        let reasm = ReasmOptions::default();
        let (code, mut engine) =
            match src.drive_parallel(sink, reasm, Some(opts.max_open), threads, None) {
                Ok(r) => r,
                Err(c) => return c,
            };
        let finished = engine.finish();
        super::print_evictions(engine.evictions(), reasm);
        let evicted = engine.whole().evicted();
        return finish(code, finished, evicted);
    }
    // Stream numbering is bounded by the same cap as the conversations.
    let mut engine = match src.engine(ReasmOptions::default(), Some(opts.max_open)) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let code = match src.drive(&mut engine, &mut sink, Duration::from_millis(100), None) {
        Ok(c) => c,
        Err(c) => return c,
    };
    let finished = engine.finish(&mut sink);
    finish(code, finished, sink.evicted())
}

/// The closing messages: a write error (other than a closed pipe) is one;
/// evictions are reported either way.
fn finish(code: i32, finished: io::Result<()>, evicted: u64) -> i32 {
    if let Err(e) = finished {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if evicted > 0 {
        eprintln!("layerscope: stats: {evicted} conversations closed early (cap or idle timeout)");
    }
    code
}
