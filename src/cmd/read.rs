//! `layerscope read`: replay capture files through every layer.

use super::exit;
use super::pipeline::{Bpf, OutputOptions, Pipeline, PipelineError, Sink, Step};
use crate::source::file::FileSource;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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
    'files: for path in files {
        let mut src = match FileSource::open(path) {
            Ok(s) => s,
            Err(e) => {
                let _ = pipe.sink.flush();
                eprintln!("layerscope: {}: {}", display_name(path), e);
                code = exit::INPUT;
                break;
            }
        };
        let bar = progress_bar(show_progress, src.total_len(), path);
        let started = std::time::Instant::now();
        let number_at_start = pipe.number;
        let mut since_tick = 0u32;
        loop {
            let frame = match src.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    let _ = pipe.sink.flush();
                    if let Some(b) = &bar {
                        b.abandon();
                    }
                    eprintln!("layerscope: {}: {}", display_name(path), e);
                    code = exit::INPUT;
                    break 'files;
                }
            };
            match pipe.frame(&frame) {
                Ok(Step::Continue) => {}
                Ok(Step::Stop) => break 'files,
                Err(PipelineError::Filter(msg)) => {
                    let _ = pipe.sink.flush();
                    eprintln!("layerscope: {msg}");
                    return exit::USAGE;
                }
                Err(PipelineError::Io(e)) => return io_exit(e),
            }
            since_tick += 1;
            if since_tick == 4096 {
                since_tick = 0;
                if let Some(b) = &bar {
                    b.set_position(src.bytes_read());
                    let secs = started.elapsed().as_secs_f64().max(1e-3);
                    let n = pipe.number - number_at_start;
                    b.set_message(format!(
                        "{} {} pkts {:.0} pkt/s",
                        display_name(path),
                        n,
                        n as f64 / secs
                    ));
                }
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
