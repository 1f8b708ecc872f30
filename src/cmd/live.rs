//! The live-capture loop, shared by `capture` and the commands that
//! aggregate (`flows`, `stats`, `follow`): open the handle, drop root,
//! stop cleanly on SIGINT/SIGTERM, `--duration` or `-c`, drain what the
//! kernel already holds, and report the kernel's drop counters.

use super::exit;
use super::pipeline::{Pipeline, PipelineError, Step};
use super::privs;
use crate::source::live::{LiveOptions, LiveSource};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the loop calls its tick function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Frames arrived since the last tick.
    Frames,
    /// A read found nothing.
    Idle,
    /// The capture stopped (once, last, before the closing counters).
    Stop,
}

/// An open capture, running unprivileged, with its stop flag wired to
/// SIGINT and SIGTERM.
pub struct Session {
    pub src: LiveSource,
    stop: Arc<AtomicBool>,
    pub started: Instant,
}

impl Session {
    /// Opens the interface (the only privileged step), drops root to `user`
    /// or the sudo caller, runs `prepare` (e.g. opening a `-w` file as that
    /// user), installs the signal handlers and prints the ready line.
    /// Errs with the exit code after printing why.
    pub fn start(
        live: &LiveOptions,
        user: Option<&str>,
        prepare: impl FnOnce(&mut LiveSource) -> Result<(), i32>,
    ) -> Result<Session, i32> {
        let mut src = match LiveSource::open(live) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("layerscope: {e}");
                return Err(e.exit_code());
            }
        };
        let ready = match privs::drop_privileges(user) {
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
                return Err(exit::PRIVILEGE);
            }
        };
        prepare(&mut src)?;
        let stop = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
        }
        // Announced only now: scripts wait for this line, and a SIGTERM right
        // after it must find the handlers installed and the -w file open.
        eprintln!("{ready}");
        Ok(Session {
            src,
            stop,
            started: Instant::now(),
        })
    }

    /// Feeds frames through `pipe` until a signal, the deadline, the `-c`
    /// count or an error. `tick` runs at most every `every` while frames
    /// arrive, at each read that finds nothing, and once at the end; its
    /// error ends the capture quietly (a closed stdout). Returns the exit
    /// code.
    pub fn run<W: Write>(
        &mut self,
        pipe: &mut Pipeline<W>,
        duration: Option<Duration>,
        every: Duration,
        mut tick: impl FnMut(&mut Pipeline<W>, Tick) -> io::Result<()>,
    ) -> i32 {
        let deadline = duration.map(|d| self.started + d);
        let mut last_tick = Instant::now();
        let mut code = exit::OK;
        // Once asked to stop, keep reading what the kernel already holds
        // (until a read finds nothing), so frames that arrived before the
        // signal are not lost; bounded so a flood cannot keep us from stopping.
        let mut draining: Option<Instant> = None;
        loop {
            if draining.is_none()
                && (self.stop.load(Ordering::Relaxed)
                    || deadline.is_some_and(|d| Instant::now() >= d))
            {
                draining = Some(Instant::now());
            }
            if draining.is_some_and(|t| t.elapsed() >= Duration::from_millis(500)) {
                break;
            }
            let frame = match self.src.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    if draining.is_some() {
                        break;
                    }
                    // Read timeout: nothing arrived; show what we have.
                    last_tick = Instant::now();
                    if tick(pipe, Tick::Idle).is_err() {
                        break;
                    }
                    self.src.flush_save();
                    continue;
                }
                Err(e) => {
                    let _ = pipe.sink.flush();
                    self.src.flush_save();
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
            if last_tick.elapsed() >= every {
                last_tick = Instant::now();
                if tick(pipe, Tick::Frames).is_err() {
                    break;
                }
            }
        }
        let _ = pipe.sink.flush();
        self.src.flush_save();
        let _ = tick(pipe, Tick::Stop);
        code
    }

    /// The closing counters on stderr, as tcpdump prints them.
    pub fn summary(&mut self, captured: u64) {
        let st = self.src.stats();
        eprintln!(
            "{} packets captured\n{} packets received by filter\n{} packets dropped by kernel\n{} packets dropped by interface",
            captured, st.received, st.dropped, st.if_dropped
        );
    }
}

/// An in-place view on a terminal: each frame is drawn from the top of the
/// alternate screen (line by line, each cleared to its end, then the rest
/// of the screen cleared), so a refresh neither scrolls nor flickers; the
/// user's screen comes back when the view ends.
pub struct Screen {
    active: bool,
}

impl Screen {
    /// Rows and columns of the terminal on stdout (24×80 when unknown).
    pub fn size() -> (usize, usize) {
        console::Term::stdout()
            .size_checked()
            .map(|(r, c)| (r as usize, c as usize))
            .unwrap_or((24, 80))
    }

    pub fn new() -> Screen {
        Screen { active: false }
    }

    /// Draws `text`, cut to the terminal's size (a wrapped line would push
    /// the view down and scroll it).
    pub fn draw<W: Write>(&mut self, out: &mut W, text: &str) -> io::Result<()> {
        let (rows, cols) = Screen::size();
        let mut s = String::with_capacity(text.len() + 64);
        if !self.active {
            self.active = true;
            s.push_str("\x1b[?1049h\x1b[?25l");
        }
        s.push_str("\x1b[H");
        for (i, line) in text.lines().take(rows.max(1)).enumerate() {
            if i > 0 {
                s.push_str("\r\n");
            }
            s.extend(line.chars().take(cols.max(1)));
            s.push_str("\x1b[K");
        }
        s.push_str("\x1b[J");
        out.write_all(s.as_bytes())?;
        out.flush()
    }

    /// Leaves the alternate screen (the final output goes to the normal one).
    pub fn end<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        if std::mem::take(&mut self.active) {
            out.write_all(b"\x1b[?25h\x1b[?1049l")?;
            out.flush()?;
        }
        Ok(())
    }
}

impl Default for Screen {
    fn default() -> Self {
        Screen::new()
    }
}

/// `h:mm:ss` for the status line.
pub fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
