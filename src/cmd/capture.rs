//! `layerscope capture`: live frames through the same pipeline as `read`.

use super::exit;
use super::live::{Session, Tick};
use super::pipeline::{OutputOptions, Pipeline, Sink};
use crate::source::live::LiveOptions;
use std::io::{self, IsTerminal};
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
}

pub fn run(opts: &CaptureOptions) -> i32 {
    let write = opts.write.as_deref();
    let mut session = match Session::start(&opts.live, opts.user.as_deref(), |src| {
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

    let stdout = io::stdout().lock();
    let out = io::BufWriter::with_capacity(64 * 1024, stdout);
    let sink = if opts.quiet {
        Sink::Quiet
    } else {
        Sink::new(out, &opts.output)
    };
    let mut pipe = Pipeline::new(sink, None, opts.count);
    pipe.set_reassembly(opts.output.reasm);
    if let Err(e) = pipe.set_display_filter(opts.output.display.as_deref()) {
        eprintln!("{e}");
        return super::exit::USAGE;
    }
    let show_count = opts.quiet && io::stderr().is_terminal();
    // Live rows must show up promptly, not when the buffer fills.
    let code = session.run(
        &mut pipe,
        opts.duration,
        Duration::from_millis(50),
        |pipe, why| {
            pipe.sink.flush()?;
            if show_count && why == Tick::Frames {
                eprint!("\r{} packets", pipe.number);
            }
            Ok(())
        },
    );
    if show_count {
        eprintln!();
    }
    session.summary(pipe.number);
    if let Some(s) = pipe.reassembly_summary() {
        eprintln!("{s}");
    }
    if let Some(path) = &opts.write {
        eprintln!("wrote {path}");
    }
    code
}
