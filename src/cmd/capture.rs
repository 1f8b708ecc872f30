//! `layerscope capture`: live frames through the same pipeline as `read`.

use super::exit;
use super::pipeline::{OutputOptions, Pipeline, PipelineError, Sink, Step};
use super::privs;
use crate::source::live::{LiveOptions, LiveSource};
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let mut src = match LiveSource::open(&opts.live) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return e.exit_code();
        }
    };
    let ready = match privs::drop_privileges(opts.user.as_deref()) {
        Ok(Some(d)) => format!(
            "layerscope: capturing on {}; running as {} (uid {}, gid {})",
            src.interface,
            d.name.as_deref().unwrap_or("?"),
            d.uid,
            d.gid
        ),
        Ok(None) => format!("layerscope: capturing on {}", src.interface),
        Err(e) => {
            eprintln!("layerscope: {e}");
            return exit::PRIVILEGE;
        }
    };
    if let Some(path) = &opts.write {
        if let Err(e) = src.save_to(path) {
            eprintln!("layerscope: {e}");
            return exit::INPUT;
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    // Announced only now: scripts wait for this line, and a SIGTERM right
    // after it must find the handlers installed and the -w file open.
    eprintln!("{ready}");

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
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let show_count = opts.quiet && io::stderr().is_terminal();
    let mut last_flush = Instant::now();
    let mut code = exit::OK;

    // Once asked to stop, keep reading what the kernel already holds (until
    // a read finds nothing), so frames that arrived before the signal are
    // not lost; bounded so a flood cannot keep us from stopping.
    let mut draining: Option<Instant> = None;
    loop {
        if draining.is_none()
            && (stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d))
        {
            draining = Some(Instant::now());
        }
        if draining.is_some_and(|t| t.elapsed() >= Duration::from_millis(500)) {
            break;
        }
        let frame = match src.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => {
                if draining.is_some() {
                    break;
                }
                // Read timeout: nothing arrived; show what we have.
                if flush(&mut pipe).is_err() {
                    break;
                }
                src.flush_save();
                continue;
            }
            Err(e) => {
                let _ = pipe.sink.flush();
                src.flush_save();
                eprintln!("layerscope: {e}");
                code = e.exit_code();
                break;
            }
        };
        match pipe.frame(&frame) {
            Ok(Step::Continue) => {}
            Ok(Step::Stop) => break,
            Err(PipelineError::Filter(m)) => {
                eprintln!("layerscope: {m}");
                code = exit::USAGE;
                break;
            }
            Err(PipelineError::Io(e)) => {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("layerscope: write error: {e}");
                    code = exit::INPUT;
                }
                break;
            }
        }
        // Live rows must show up promptly, not when the buffer fills.
        if last_flush.elapsed() >= Duration::from_millis(50) {
            last_flush = Instant::now();
            if flush(&mut pipe).is_err() {
                break;
            }
            if show_count {
                eprint!("\r{} packets", pipe.number);
            }
        }
    }
    let _ = pipe.sink.flush();
    src.flush_save();
    let st = src.stats();
    if show_count {
        eprintln!();
    }
    eprintln!(
        "{} packets captured\n{} packets received by filter\n{} packets dropped by kernel\n{} packets dropped by interface",
        pipe.number, st.received, st.dropped, st.if_dropped
    );
    if let Some(s) = pipe.reassembly_summary() {
        eprintln!("{s}");
    }
    if let Some(path) = &opts.write {
        eprintln!("wrote {path}");
    }
    code
}

fn flush<W: Write>(pipe: &mut Pipeline<W>) -> io::Result<()> {
    pipe.sink.flush()
}
