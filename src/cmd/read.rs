//! `layerscope read`: replay capture files through every layer.

use super::{display_filter, drive_files, io_exit, print_reassembly, Driven, OutputOptions};
use crate::engine::{Engine, EngineOptions};
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
    /// `-l`: every row goes out as it is written.
    pub line_buffered: bool,
}

/// Runs `read`; returns the process exit code.
pub fn run(opts: &ReadOptions) -> i32 {
    let stdout = io::stdout().lock();
    if opts.line_buffered {
        // Standard output is line-buffered by itself.
        return run_to(opts, stdout);
    }
    run_to(opts, io::BufWriter::with_capacity(256 * 1024, stdout))
}

/// `run` writing to any output (tests use a buffer).
pub fn run_to<W: Write>(opts: &ReadOptions, out: W) -> i32 {
    let o = &opts.output;
    let mut sink = PacketWriter::new(out, o.format, o.hex, o.fields.clone(), o.color);
    let display = match display_filter(o.display.as_deref()) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut engine = Engine::new(EngineOptions {
        count: opts.count,
        bpf: opts.bpf.clone(),
        display,
        reasm: o.reasm,
        max_flows: None,
        plain: false,
    });
    let show_progress = opts
        .progress
        .unwrap_or_else(|| io::stderr().is_terminal() && !io::stdout().is_terminal());
    let flush = |w: &mut PacketWriter<W>| {
        let _ = w.flush();
    };
    let code = match drive_files(&mut engine, &mut sink, &opts.files, show_progress, flush) {
        Driven::Done(code) => code,
        Driven::Exit(code) => return code,
    };
    if let Err(e) = engine.finish(&mut sink) {
        return io_exit(e);
    }
    print_reassembly(&engine);
    code
}
