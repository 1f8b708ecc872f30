//! `layerscope capture`: live frames through the same engine as `read`.

use super::{
    display_filter, exit, io_exit, print_live_counters, print_queue, print_reassembly, queue,
    run_live, start_live, unqueue, OutputOptions,
};
use crate::engine::queue::QueuePeak;
use crate::engine::sandbox::Allow;
use crate::engine::{Engine, EngineOptions, Sink};
use crate::output::pcapwrite::{IfStats, WriteFormat, WriteOptions};
use crate::output::savefile::{Rotation, SaveOptions, SaveSink};
use crate::output::writer::CountLine;
use crate::source::live::LiveOptions;
use crate::source::Timestamp;
use std::io::{self, IsTerminal};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct CaptureOptions {
    pub live: LiveOptions,
    pub output: OutputOptions,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    /// `-w`: write the packets that pass both filters to this file (`-`:
    /// standard output, and nothing else goes there).
    pub write: Option<String>,
    /// `--write-format`; None: from the file name.
    pub write_format: Option<WriteFormat>,
    /// `-C`, `-G`, `-W`: tcpdump's ring buffers.
    pub rotation: Rotation,
    /// `-P`: with `-w -`, print rows on stderr.
    pub print: bool,
    /// `-q`: no rows, only a running count.
    pub quiet: bool,
    /// `--user`: the account to become once the handle is open.
    pub user: Option<String>,
    /// `-l`: every row goes out as it is written (not only every tick).
    pub line_buffered: bool,
    /// `-U`: the `-w` file is flushed after every packet.
    pub packet_buffered: bool,
    /// Confinement once the handle is open and root given up.
    pub sandbox: super::sandbox::SandboxOptions,
}

pub fn run(opts: &CaptureOptions) -> i32 {
    let o = &opts.output;
    // As tcpdump: frames one by one when rows go to a terminal (or when
    // asked: --immediate-mode, -l, -U); in blocks otherwise, which keeps up
    // with floods the fixed-size slots of immediate mode cannot hold.
    let rows_on_terminal = !opts.quiet
        && match opts.write.as_deref() {
            Some("-") => opts.print && io::stderr().is_terminal(),
            _ => io::stdout().is_terminal(),
        };
    let mut live = opts.live.clone();
    live.immediate |= rows_on_terminal;
    let display = match display_filter(o.display.as_deref()) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut save: Option<SaveSink> = None;
    let started = Timestamp::now();
    // A ring buffer creates and overwrites files beside the first.
    let allow = match opts.write.as_deref() {
        Some(path) if path != "-" && opts.rotation.is_set() => Allow {
            write_dirs: vec![super::sandbox::ring_dir(path)],
            ..Default::default()
        },
        path => Allow {
            write_files: super::sandbox::output(path),
            ..Default::default()
        },
    };
    // The file is created after the privilege drop, as the account the
    // capture runs as, and before the ready line.
    let mut src = match start_live(
        &live,
        opts.user.as_deref(),
        |src| {
            let Some(path) = &opts.write else {
                return Ok(());
            };
            let format = opts
                .write_format
                .unwrap_or_else(|| WriteFormat::for_path(path));
            let mut write = WriteOptions::new(format);
            write.linktype = Some(src.linktype());
            write.if_name = Some(src.interface().to_string());
            write.snaplen = u32::try_from(opts.live.snaplen).unwrap_or(0);
            match SaveSink::create(SaveOptions {
                path: path.clone(),
                write,
                rotation: opts.rotation,
                packet_buffered: opts.packet_buffered,
            }) {
                Ok(s) => {
                    save = Some(s.with_stop(src.stop_handle()));
                    Ok(())
                }
                Err(e) => {
                    eprintln!("layerscope: {e}");
                    Err(exit::INPUT)
                }
            }
        },
        &opts.sandbox,
        &allow,
    ) {
        Ok(s) => s,
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
    let to_stdout = opts.write.as_deref() == Some("-");
    let rows: Option<Box<dyn Sink>> = if opts.quiet {
        let show_count = io::stderr().is_terminal();
        Some(Box::new(CountLine::new(show_count.then(io::stderr))))
    } else if to_stdout {
        // Standard output carries the capture: rows only on request, on stderr.
        opts.print.then(|| {
            let err = io::BufWriter::new(io::stderr());
            Box::new(o.writer(err)) as Box<dyn Sink>
        })
    } else if opts.line_buffered {
        // Standard output is line-buffered by itself.
        Some(Box::new(o.writer(io::stdout())))
    } else {
        let out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        Some(Box::new(o.writer(out)))
    };
    let mut sinks = (rows, save);
    // Nothing to decode or write (-q alone): frames are counted on this
    // thread, as tcpdump does. Decoding and writing go behind a bounded
    // queue, so neither a slow row nor a write the disk holds up keeps the
    // kernel's ring from being drained (measured: a `-q -w` flood on one
    // thread dropped several times what it drops behind the queue).
    let (mut code, mut src, peak) =
        if o.display.is_none() && !sinks.needs_layers() && sinks.1.is_none() {
            let code = run_live(&mut engine, &mut src, &mut sinks);
            (code, src, QueuePeak::default())
        } else {
            let mut q = match queue(src, true) {
                Ok(q) => q,
                Err(code) => return code,
            };
            let code = run_live(&mut engine, &mut q, &mut sinks);
            match unqueue(q) {
                Ok((src, peak)) => (code, src, peak),
                Err(c) => return c,
            }
        };
    let st = src.stats();
    if let Some(s) = &mut sinks.1 {
        s.set_stats(IfStats {
            received: st.received as u64,
            dropped: st.dropped as u64,
            start: Some(started),
            end: Some(Timestamp::now()),
        });
    }
    if let Err(e) = engine.finish(&mut sinks) {
        let c = io_exit(e);
        if code == exit::OK {
            code = c;
        }
    }
    print_live_counters(&mut src, engine.packets());
    print_queue(peak);
    print_reassembly(&engine);
    if let Some(s) = &sinks.1 {
        if s.limit_reached() {
            eprintln!(
                "Maximum file limit reached: {}",
                opts.rotation.files.unwrap_or(0)
            );
        }
        let files = s.files();
        match files {
            [one] if one == "-" => {}
            [one] => eprintln!("wrote {one}"),
            [] => {}
            _ => {
                let list = if files.len() <= 4 {
                    files.join(", ")
                } else {
                    format!("{} … {}", files[0], files[files.len() - 1])
                };
                eprintln!(
                    "wrote {} files: {list} (newest {})",
                    files.len(),
                    s.current()
                );
            }
        }
    }
    code
}
