//! Command implementations. `main.rs` parses flags into these option
//! structs; each command builds an engine and its sinks from them, runs it,
//! and turns the outcome into messages and an exit code. The work itself is
//! in the library ([`crate::engine`], [`crate::output`], …).

pub mod capture;
pub mod demo;
pub mod flows;
pub mod follow;
pub mod interfaces;
pub mod parquet;
pub mod read;
pub mod sandbox;
pub mod stats;
pub mod traffic;
pub mod view;

use crate::engine::live::{drop_privileges, LiveFrames};
use crate::engine::parallel::{Parallel, Split};
use crate::engine::queue::{QueuePeak, QueuedLive, QUEUE_BYTES};
use crate::engine::sandbox::Allow;
use crate::engine::source::FrameSource;
use crate::engine::source::{open_file, open_file_here, FileFrames};
use crate::engine::{
    display_name, End, Engine, EngineError, EngineOptions, Evictions, ProgressFn, ReasmOptions,
    Sink,
};
use crate::source::live::{LiveError, LiveOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sandbox::SandboxOptions;
use std::io;
use std::time::Duration;

pub use crate::output::Format;

/// Process exit codes, shared by every command.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Bad usage or a filter that does not compile.
    pub const USAGE: i32 = 1;
    /// A capture file or interface could not be read.
    pub const INPUT: i32 = 2;
    /// Missing privileges to capture.
    pub const PRIVILEGE: i32 = 3;
}

/// The exit code for a live capture's error.
pub fn live_code(e: &LiveError) -> i32 {
    match e {
        LiveError::Privilege { .. } => exit::PRIVILEGE,
        LiveError::BadFilter { .. } => exit::USAGE,
        _ => exit::INPUT,
    }
}

/// The exit code for an engine error.
pub fn code(e: &EngineError) -> i32 {
    match e {
        EngineError::Filter(_) => exit::USAGE,
        EngineError::Capture(e) => live_code(e),
        EngineError::Privilege(_) => exit::PRIVILEGE,
        EngineError::Input { .. } | EngineError::Output(_) => exit::INPUT,
    }
}

/// A write error's exit code, after its message; a closed pipe (`| head`)
/// ends output quietly, as tcpdump does.
pub fn io_exit(e: io::Error) -> i32 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return exit::OK;
    }
    eprintln!("layerscope: write error: {e}");
    exit::INPUT
}

/// Output options common to every command that prints packets.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    pub format: Format,
    /// `-x`: hex dump under each packet's detail tree.
    pub hex: bool,
    /// `-X`, `-XX`, `-A`: tcpdump's dumps under each row.
    pub dump: crate::output::Dump,
    /// `-e`: fields for jsonl/csv (all fields / default columns when None).
    pub fields: Option<Vec<String>>,
    /// Force colour on or off; None decides from the terminal and NO_COLOR.
    pub color: Option<bool>,
    pub reasm: ReasmOptions,
    /// `-Y`: display filter (already checked by the CLI).
    pub display: Option<String>,
    /// `-t`: the Time column's format, as tshark's.
    pub time_format: crate::dissect::timefmt::TimeFormat,
}

impl OutputOptions {
    /// Whether the rows show stream indices (`tcp.stream`, `udp.stream`,
    /// `quic.connection.number`): what `--threads` workers must number
    /// capture-wide.
    pub fn shows_streams(&self) -> bool {
        match (&self.fields, self.format) {
            (Some(f), _) => f
                .iter()
                .any(|n| crate::flow::STREAM_FIELDS.contains(&n.as_str())),
            (None, Format::Table) => false,
            (None, Format::Csv) => crate::output::csv::DEFAULT_COLUMNS
                .iter()
                .any(|n| crate::flow::STREAM_FIELDS.contains(n)),
            (None, Format::Jsonl | Format::Detail) => true,
        }
    }

    /// Whether `--threads` workers would number streams in lockstep, each
    /// waiting at a new stream for the others: rows that pad or quote stream
    /// indices (all but JSON lines and Parquet), or a display filter that
    /// reads them.
    pub fn streams_in_lockstep(&self) -> bool {
        // The engine's own test, on the compiled filter (one that does not
        // compile is reported where it is compiled).
        let filter = self
            .display
            .as_deref()
            .and_then(|d| crate::filter::Filter::compile(d).ok())
            .is_some_and(|f| crate::engine::parallel::reads_streams(&f));
        filter || (self.shows_streams() && self.format != Format::Jsonl)
    }

    /// The packet writer these options ask for, writing to `out`.
    pub fn writer<W: std::io::Write>(&self, out: W) -> crate::output::PacketWriter<W> {
        crate::output::PacketWriter::new(
            out,
            self.format,
            self.hex,
            self.fields.clone(),
            self.color,
        )
        .with_dump(self.dump)
        .with_time_format(self.time_format)
    }
}

/// Checks the `-e` names as `-Y` checks its names: an unknown one is a
/// usage error with the nearest known names. Err is the exit code, after
/// the message.
pub fn check_fields(names: &[String]) -> Result<(), i32> {
    for n in names {
        if let Err(e) = crate::filter::check_field_name(n) {
            eprintln!("layerscope: invalid field (-e):\n{e}");
            return Err(exit::USAGE);
        }
    }
    Ok(())
}

/// Compiles a `-Y` filter; Err is the exit code, after the message.
pub fn display_filter(expr: Option<&str>) -> Result<Option<crate::filter::Filter>, i32> {
    match expr.map(crate::filter::Filter::compile) {
        None => Ok(None),
        Some(Ok(f)) => Ok(Some(f)),
        Some(Err(e)) => {
            eprintln!("layerscope: invalid display filter:\n{e}");
            Err(exit::USAGE)
        }
    }
}

/// Where frames come from and which reach a command (`flows`, `stats`,
/// `follow`): files or a live interface, a BPF filter before decoding, a
/// display filter after.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub files: Vec<String>,
    /// `-i`: capture live instead of reading `files` (`bpf` goes into the kernel).
    pub live: Option<LiveOptions>,
    /// `-Z`: the account to become once the capture handle is open.
    pub user: Option<String>,
    /// `-c`: stop after this many packets.
    pub count: Option<u64>,
    /// `--duration`: stop a live capture after this long.
    pub duration: Option<Duration>,
    pub bpf: Option<String>,
    /// `-Y`: only packets it matches are counted or followed.
    pub display: Option<String>,
    /// Progress bar on standard error; None: when stderr is a terminal and stdout is not.
    pub progress: Option<bool>,
    /// `-l`: every line of output goes out as it is written.
    pub line_buffered: bool,
    /// Confinement before the first frame is decoded.
    pub sandbox: SandboxOptions,
}

impl SourceOptions {
    /// An engine with both filters compiled (a live capture's BPF filter
    /// runs in the kernel instead). Err is the exit code, after the message.
    pub fn engine(&self, reasm: ReasmOptions, max_flows: Option<usize>) -> Result<Engine, i32> {
        self.engine_options(reasm, max_flows).map(Engine::new)
    }

    /// The options of [`engine`](Self::engine).
    fn engine_options(
        &self,
        reasm: ReasmOptions,
        max_flows: Option<usize>,
    ) -> Result<EngineOptions, i32> {
        Ok(EngineOptions {
            count: self.count,
            bpf: match self.live {
                Some(_) => None,
                None => self.bpf.clone(),
            },
            display: display_filter(self.display.as_deref())?,
            reasm,
            max_flows,
            plain: false,
        })
    }

    /// These commands print only once the input is read, so the bar may
    /// share a terminal with standard output.
    pub fn show_progress(&self) -> bool {
        use std::io::IsTerminal;
        self.progress
            .unwrap_or_else(|| std::io::stderr().is_terminal())
    }

    /// Runs `engine` into `sink`: the files one after another, or the live
    /// capture until it stops (ticking the sink about every `every`), in
    /// the sandbox, which may still write `write` (an output already
    /// open). The sink is not finished. Ok: the exit code so far, with every message
    /// printed (the input error, the capture's counters, reassembly
    /// evictions); Err: the code to exit with at once, printing nothing more.
    pub fn drive<K: Sink + ?Sized>(
        &self,
        engine: &mut Engine,
        sink: &mut K,
        every: Duration,
        write: Option<&str>,
    ) -> Result<i32, i32> {
        let mut allow = Allow {
            write_files: sandbox::output(write),
            ..Default::default()
        };
        let Some(live) = &self.live else {
            allow.read = sandbox::inputs(&self.files);
            sandbox::enter(&self.sandbox, &allow)?;
            return match drive_files(engine, sink, &self.files, self.show_progress(), |_| {}) {
                Driven::Done(code) => {
                    print_reassembly(engine);
                    Ok(code)
                }
                Driven::Exit(code) => Err(code),
            };
        };
        let mut opts = live.clone();
        opts.filter = self.bpf.clone();
        let mut src = start_live(
            &opts,
            self.user.as_deref(),
            |_| Ok(()),
            &self.sandbox,
            &allow,
        )?;
        src.set_duration(self.duration);
        src.set_tick_every(every);
        // A view redrawn in place on the terminal has no room for notices.
        let mut q = queue(src, !std::io::IsTerminal::is_terminal(&std::io::stdout()))?;
        let code = run_live(engine, &mut q, sink);
        let (mut src, peak) = unqueue(q)?;
        print_live_counters(&mut src, engine.packets());
        print_queue(peak);
        print_reassembly(engine);
        Ok(code)
    }

    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// The decoding threads these inputs can use: `threads` for regular
    /// files, one for a live capture, a pipe or `-l`, and for a display
    /// filter that tests `frame.time_delta_displayed` (it depends on every
    /// earlier frame's verdict).
    pub fn threads_for(&self, threads: usize) -> usize {
        let files = self
            .files
            .iter()
            .all(|f| f != "-" && std::fs::metadata(f).is_ok_and(|m| m.is_file()));
        if self.is_live() || !files || self.line_buffered || order_bound(self.display.as_deref()) {
            1
        } else {
            threads
        }
    }

    /// [`drive`](Self::drive) for files over `threads` workers sharded by
    /// conversation; `whole` joins their parts when the caller finishes
    /// the engine. Ok: the exit code so far and the engine; Err: the code
    /// to exit with at once.
    pub fn drive_parallel<S: Split>(
        &self,
        whole: S,
        reasm: ReasmOptions,
        max_flows: Option<usize>,
        threads: usize,
        write: Option<&str>,
    ) -> Result<(i32, Parallel<S>), i32> {
        let opts = self.engine_options(reasm, max_flows)?;
        let allow = Allow {
            write_files: sandbox::output(write),
            read: sandbox::inputs(&self.files),
            ..Default::default()
        };
        sandbox::enter(&self.sandbox, &allow)?;
        let mut engine = Parallel::new(opts, threads, whole).map_err(io_exit)?;
        match drive_runner(&mut engine, &self.files, self.show_progress()) {
            Driven::Done(code) => Ok((code, engine)),
            Driven::Exit(code) => Err(code),
        }
    }

    /// The interface asked for with `-i` (empty when none).
    pub fn interface(&self) -> String {
        self.live
            .as_ref()
            .and_then(|l| l.interface.clone())
            .unwrap_or_default()
    }
}

/// Whether a display filter's verdicts depend on earlier frames' verdicts
/// (it tests `frame.time_delta_displayed`), so frames must be filtered in
/// order. A filter that does not compile is reported where it is compiled.
pub fn order_bound(display: Option<&str>) -> bool {
    display
        .and_then(|d| crate::filter::Filter::compile(d).ok())
        .is_some_and(|f| f.names().iter().any(|n| n == "frame.time_delta_displayed"))
}

/// How feeding files ended.
pub enum Driven {
    /// Every file read, or stopped by `-c` or an input error (already
    /// reported): the exit code so far.
    Done(i32),
    /// Exit with this code at once (a filter or write error, reported).
    Exit(i32),
}

/// Feeds every frame of `files` through `engine` into `sink`, with a
/// progress bar per file when asked. `flush` puts out what the sink holds
/// before an error message.
pub fn drive_files<K: Sink + ?Sized>(
    engine: &mut Engine,
    sink: &mut K,
    files: &[String],
    show_progress: bool,
    flush: impl FnMut(&mut K),
) -> Driven {
    drive_runner(
        &mut Serial {
            engine,
            sink,
            flush,
        },
        files,
        show_progress,
    )
}

/// What feeds files to an output: the engine with its sink, or the
/// parallel engine (which holds its output).
pub trait Runner {
    fn packets(&self) -> u64;
    fn set_progress(&mut self, f: Option<ProgressFn>);
    fn run_file(&mut self, src: &mut FileFrames) -> Result<End, EngineError>;
    /// Puts out what the output holds, before an error message.
    fn flush(&mut self);
    /// Whether a file's records are parsed on a reader thread of their own
    /// (else on the calling thread).
    fn reader_thread(&self) -> bool {
        true
    }
}

struct Serial<'a, K: ?Sized, F> {
    engine: &'a mut Engine,
    sink: &'a mut K,
    flush: F,
}

impl<K: Sink + ?Sized, F: FnMut(&mut K)> Runner for Serial<'_, K, F> {
    fn packets(&self) -> u64 {
        self.engine.packets()
    }
    fn set_progress(&mut self, f: Option<ProgressFn>) {
        self.engine.set_progress(f);
    }
    fn run_file(&mut self, src: &mut FileFrames) -> Result<End, EngineError> {
        self.engine.run(src, self.sink)
    }
    fn flush(&mut self) {
        (self.flush)(self.sink);
    }
}

impl<S: Split> Runner for Parallel<S> {
    fn packets(&self) -> u64 {
        Parallel::packets(self)
    }
    fn set_progress(&mut self, f: Option<ProgressFn>) {
        Parallel::set_progress(self, f);
    }
    fn run_file(&mut self, src: &mut FileFrames) -> Result<End, EngineError> {
        self.run(src)
    }
    fn flush(&mut self) {}
    /// The calling thread only numbers and shards frames while the workers
    /// decode: it reads them as well, saving a copy of every frame and a
    /// thread on the cores the workers need.
    fn reader_thread(&self) -> bool {
        false
    }
}

/// Feeds every frame of `files` through `run`, with a progress bar per
/// file when asked.
pub fn drive_runner<R: Runner + ?Sized>(
    run: &mut R,
    files: &[String],
    show_progress: bool,
) -> Driven {
    let mut code = exit::OK;
    for (i, path) in files.iter().enumerate() {
        let opened = if run.reader_thread() {
            open_file(path)
        } else {
            open_file_here(path)
        };
        let mut src = match opened {
            Ok(s) => s,
            Err(e) => {
                run.flush();
                eprintln!("layerscope: {e}");
                code = exit::INPUT;
                break;
            }
        };
        // Which file of how many, so a bar that starts again says why.
        let mut label = match files.len() {
            1 => display_name(path).to_string(),
            n => format!("[{}/{n}] {}", i + 1, display_name(path)),
        };
        if let Some(c) = src.compression() {
            label.push_str(&format!(" ({})", c.name()));
        }
        let bar = progress_bar(show_progress, src.total_len(), &label);
        let before = run.packets();
        run.set_progress(
            bar.as_ref()
                .map(|b| progress_fn(b.clone(), label.clone(), before)),
        );
        let end = run.run_file(&mut src);
        run.set_progress(None);
        match end {
            Ok(End::Eof) => {}
            // `-c` reached: no further file.
            Ok(End::Count) => break,
            Err(EngineError::Filter(msg)) => {
                run.flush();
                eprintln!("layerscope: {msg}");
                return Driven::Exit(exit::USAGE);
            }
            Err(EngineError::Output(e)) => return Driven::Exit(io_exit(e)),
            Err(e) => {
                run.flush();
                if let Some(b) = &bar {
                    b.abandon();
                }
                eprintln!("layerscope: {e}");
                code = exit::INPUT;
                break;
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }
    Driven::Done(code)
}

/// Opens the interface (the only privileged step), drops root to `user`
/// or the sudo caller, runs `prepare` (e.g. opening a `-w` file as that
/// user), stops the capture on SIGINT and SIGTERM, enters the sandbox
/// (allowing `allow`), and prints the ready line. Err is the exit code,
/// after the message.
pub fn start_live(
    live: &LiveOptions,
    user: Option<&str>,
    prepare: impl FnOnce(&mut LiveFrames) -> Result<(), i32>,
    confine: &SandboxOptions,
    allow: &Allow,
) -> Result<LiveFrames, i32> {
    let mut src = LiveFrames::open(live).map_err(|e| {
        eprintln!("layerscope: {e}");
        code(&e)
    })?;
    let ready = match drop_privileges(user) {
        Ok(Some(d)) => format!(
            "layerscope: capturing on {}; running as {} (uid {}, gid {})",
            src.interface(),
            d.name.as_deref().unwrap_or("?"),
            d.uid,
            d.gid
        ),
        Ok(None) => format!("layerscope: capturing on {}", src.interface()),
        Err(e) => {
            eprintln!("layerscope: {e}");
            return Err(code(&e));
        }
    };
    prepare(&mut src)?;
    let stop = src.stop_handle();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_usize(sig, stop.flag(), sig as usize);
    }
    // libpcap reads the interface's drop counters from sysfs for the
    // closing statistics.
    let mut allow = allow.clone();
    allow.read.push(
        std::path::Path::new("/sys/class/net")
            .join(src.interface())
            .join("statistics"),
    );
    sandbox::enter(confine, &allow)?;
    // Announced only now: scripts wait for this line, and a SIGTERM right
    // after it must find the handlers installed and the -w file open.
    eprintln!("{ready}");
    Ok(src)
}

/// Runs a live capture to its end; the exit code, after any message. A
/// closed output ends the capture quietly.
pub fn run_live<F: FrameSource + ?Sized, K: Sink + ?Sized>(
    engine: &mut Engine,
    src: &mut F,
    sink: &mut K,
) -> i32 {
    match engine.run(src, sink) {
        Ok(_) => exit::OK,
        Err(EngineError::Output(e)) => io_exit(e),
        Err(e) => {
            eprintln!("layerscope: {e}");
            code(&e)
        }
    }
}

/// Starts the capture's reader thread and its bounded queue; Err is the
/// exit code, after the message.
pub fn queue(src: LiveFrames, notices: bool) -> Result<QueuedLive, i32> {
    QueuedLive::start(src, notices).map_err(|e| {
        eprintln!("layerscope: cannot start the capture thread: {e}");
        exit::INPUT
    })
}

/// Stops the reader and hands the capture back for its counters; Err is
/// the exit code, after the message.
pub fn unqueue(q: QueuedLive) -> Result<(LiveFrames, QueuePeak), i32> {
    let peak = q.peak();
    match q.finish() {
        Some(src) => Ok((src, peak)),
        None => {
            eprintln!("layerscope: the capture thread stopped unexpectedly");
            Err(exit::INPUT)
        }
    }
}

/// After the counters: how far decoding fell behind, when the queue ever
/// held a quarter of what it may.
pub fn print_queue(peak: QueuePeak) {
    if peak.bytes * 4 >= QUEUE_BYTES {
        eprintln!(
            "layerscope: decoding fell behind the capture: up to {} frames ({:.1} MiB of the {} MiB queue) waited to be decoded",
            peak.frames,
            peak.bytes as f64 / (1u64 << 20) as f64,
            QUEUE_BYTES >> 20
        );
    }
}

/// The closing counters on stderr, as tcpdump prints them.
pub fn print_live_counters(src: &mut LiveFrames, captured: u64) {
    use crate::output::writer::packets_word as w;
    let st = src.stats();
    let (r, d, i) = (st.received as u64, st.dropped as u64, st.if_dropped as u64);
    eprintln!(
        "{captured} {} captured\n{r} {} received by filter\n{d} {} dropped by kernel\n{i} {} dropped by interface",
        w(captured),
        w(r),
        w(d),
        w(i)
    );
}

/// The closing line about reassembly state dropped to stay under the caps
/// (nothing when nothing was dropped).
pub fn print_reassembly(engine: &Engine) {
    print_evictions(engine.evictions(), engine.options().reasm);
}

/// See [`print_reassembly`].
pub fn print_evictions(ev: Evictions, o: ReasmOptions) {
    let mut parts = Vec::new();
    let mib = |b: usize| b as f64 / (1u64 << 20) as f64;
    if ev.tcp > 0 {
        parts.push(format!(
            "evicted {} TCP stream directions with pending data ({} over the cap of {} MiB, the rest idle > {} s)",
            ev.tcp,
            ev.tcp_for_cap,
            mib(o.tcp_max_bytes),
            o.timeout_secs
        ));
    }
    if ev.frag > 0 {
        parts.push(format!(
            "evicted {} incomplete IP datagrams ({} over the cap of {} MiB, the rest older than {} s)",
            ev.frag,
            ev.frag_for_cap,
            mib(o.frag_max_bytes),
            o.timeout_secs
        ));
    }
    if !parts.is_empty() {
        eprintln!("layerscope: reassembly: {}", parts.join("; "));
    }
    if ev.streams > 0 {
        eprintln!(
            "layerscope: streams: forgot {} conversations past the cap of {} held; one seen again gets a new tcp.stream/udp.stream index",
            ev.streams, ev.streams_cap
        );
    }
    if ev.quic > 0 {
        eprintln!(
            "layerscope: quic: forgot {} connections past the cap of {}",
            ev.quic,
            crate::flow::quic::MAX_CONNS
        );
    }
}

/// A bar over the input's bytes (compressed ones for a compressed file),
/// named by `label`.
fn progress_bar(show: bool, total: Option<u64>, label: &str) -> Option<ProgressBar> {
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
    bar.set_message(label.to_string());
    Some(bar)
}

/// Progress for one file: bytes read, packets so far and their rate.
fn progress_fn(bar: ProgressBar, name: String, number_at_start: u64) -> ProgressFn {
    let started = std::time::Instant::now();
    Box::new(move |number, bytes_read| {
        bar.set_position(bytes_read);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        let n = number - number_at_start;
        bar.set_message(format!("{} {} pkts {:.0} pkt/s", name, n, n as f64 / secs));
    })
}
