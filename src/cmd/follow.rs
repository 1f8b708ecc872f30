//! `layerscope follow`: the byte stream of one TCP (or UDP) conversation,
//! both directions in order, as `tshark -q -z follow,tcp,ascii,N` prints it.

use super::{exit, SourceOptions};
use crate::engine::ReasmOptions;
use crate::output::follow::FollowSink;
use std::io::{self, Write};

pub use crate::output::follow::FollowMode;

#[derive(Clone, Debug)]
pub struct FollowOptions {
    pub source: SourceOptions,
    pub stream: u32,
    pub udp: bool,
    pub mode: FollowMode,
    pub color: Option<bool>,
}

pub fn run(opts: &FollowOptions) -> i32 {
    let stdout = io::stdout().lock();
    let color = opts
        .color
        .unwrap_or_else(crate::output::style::stdout_wants_color);
    if opts.source.line_buffered {
        // Standard output is line-buffered by itself.
        return run_to(opts, stdout, color);
    }
    run_to(opts, io::BufWriter::new(stdout), color)
}

pub fn run_to<W: Write>(opts: &FollowOptions, out: W, color: bool) -> i32 {
    let mut sink = FollowSink::new(out, opts.stream, opts.udp, opts.mode, color);
    // Sequence order is rebuilt by the sink; the dissector's reassembly is not needed.
    let reasm = ReasmOptions {
        enabled: false,
        ..Default::default()
    };
    let mut engine = match opts.source.engine(reasm, None) {
        Ok(e) => e,
        Err(code) => return code,
    };
    // Live (-i): collected until the capture stops, then printed.
    let code = match opts.source.drive(
        &mut engine,
        &mut sink,
        std::time::Duration::from_secs(1),
        None,
    ) {
        Ok(c) => c,
        Err(c) => return c,
    };
    if let Err(e) = engine.finish(&mut sink) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if !sink.found() {
        eprintln!(
            "layerscope: follow: no {} stream {} in the capture",
            if opts.udp { "UDP" } else { "TCP" },
            opts.stream
        );
        return exit::INPUT;
    }
    code
}
