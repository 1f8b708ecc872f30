//! `layerscope capture`: live frames through the same engine as `read`.

use super::{
    display_filter, exit, print_live_counters, print_reassembly, run_live, start_live,
    OutputOptions,
};
use crate::engine::live::LiveFrames;
use crate::engine::{Engine, EngineOptions};
use crate::output::writer::CountLine;
use crate::output::PacketWriter;
use crate::source::live::LiveOptions;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct CaptureOptions {
    pub live: LiveOptions,
    pub output: OutputOptions,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    /// `-w`: also write every captured frame to this pcap file.
    pub write: Option<String>,
    /// `-q`: no rows, only a running count.
    pub quiet: bool,
    /// `--user`: the account to become once the handle is open.
    pub user: Option<String>,
    /// `-l`: every row goes out as it is written (not only every tick).
    pub line_buffered: bool,
}

pub fn run(opts: &CaptureOptions) -> i32 {
    let write = opts.write.as_deref();
    let mut src = match start_live(&opts.live, opts.user.as_deref(), |src| {
        match write.map(|path| src.save_to(path)) {
            Some(Err(e)) => {
                eprintln!("layerscope: {e}");
                Err(exit::INPUT)
            }
            _ => Ok(()),
        }
    }) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let o = &opts.output;
    let display = match display_filter(o.display.as_deref()) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut engine = Engine::new(EngineOptions {
        count: opts.count,
        bpf: None,
        display,
        reasm: o.reasm,
        max_flows: None,
        plain: false,
    });
    src.set_duration(opts.duration);
    // Live rows must show up promptly, not when the buffer fills.
    src.set_tick_every(Duration::from_millis(50));
    let code = if opts.quiet {
        let show_count = io::stderr().is_terminal();
        let mut sink = CountLine::new(show_count.then(io::stderr));
        let code = run_live(&mut engine, &mut src, &mut sink);
        let _ = engine.finish(&mut sink);
        code
    } else if opts.line_buffered {
        // Standard output is line-buffered by itself.
        rows(&mut engine, &mut src, io::stdout().lock(), o)
    } else {
        let out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        rows(&mut engine, &mut src, out, o)
    };
    print_live_counters(&mut src, engine.packets());
    print_reassembly(&engine);
    if let Some(path) = &opts.write {
        eprintln!("wrote {path}");
    }
    code
}

/// Runs the capture into a row per packet on `out`; the exit code.
fn rows<W: Write>(engine: &mut Engine, src: &mut LiveFrames, out: W, o: &OutputOptions) -> i32 {
    let mut sink = PacketWriter::new(out, o.format, o.hex, o.fields.clone(), o.color);
    let code = run_live(engine, src, &mut sink);
    let _ = engine.finish(&mut sink);
    code
}
