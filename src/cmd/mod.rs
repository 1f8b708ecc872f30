//! Command implementations. `main.rs` parses flags into these option
//! structs; everything that does work lives here and below.

pub mod capture;
pub mod demo;
pub mod flows;
pub mod follow;
pub mod interfaces;
pub mod live;
pub mod pipeline;
pub mod privs;
pub mod read;
pub mod stats;
pub mod traffic;

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

/// Where frames come from and which reach a command (`flows`, `stats`,
/// `follow`): files or a live interface, a BPF filter before decoding, a
/// display filter after.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub files: Vec<String>,
    /// `-i`: capture live instead of reading `files` (`bpf` goes into the kernel).
    pub live: Option<crate::source::live::LiveOptions>,
    /// `-Z`: the account to become once the capture handle is open.
    pub user: Option<String>,
    /// `-c`: stop after this many packets.
    pub count: Option<u64>,
    /// `--duration`: stop a live capture after this long.
    pub duration: Option<std::time::Duration>,
    pub bpf: Option<String>,
    /// `-Y`: only packets it matches are counted or followed.
    pub display: Option<String>,
    /// Progress bar on standard error; None: when stderr is a terminal and stdout is not.
    pub progress: Option<bool>,
}

impl SourceOptions {
    /// A pipeline feeding `sink`, with both filters compiled (a live
    /// capture's BPF filter runs in the kernel instead).
    pub fn pipeline<W: std::io::Write>(
        &self,
        sink: pipeline::Sink<W>,
        reasm: pipeline::ReasmOptions,
    ) -> Result<pipeline::Pipeline<W>, i32> {
        let bpf = match self.live {
            Some(_) => None,
            None => self.bpf.as_deref().map(pipeline::Bpf::new),
        };
        let mut pipe = pipeline::Pipeline::new(sink, bpf, self.count);
        pipe.set_reassembly(reasm);
        if let Err(e) = pipe.set_display_filter(self.display.as_deref()) {
            eprintln!("{e}");
            return Err(exit::USAGE);
        }
        Ok(pipe)
    }

    /// These commands print only once the input is read, so the bar may
    /// share a terminal with standard output.
    pub fn show_progress(&self) -> bool {
        use std::io::IsTerminal;
        self.progress
            .unwrap_or_else(|| std::io::stderr().is_terminal())
    }

    /// Feeds every frame through `pipe`: the files one after another, or
    /// the live capture until it stops. On a live capture `tick` runs about
    /// every `every` (and when reads find nothing), so a command can redraw
    /// or emit what it has, and once when it stops; files never tick.
    /// Returns the exit code; Err when the capture could not start at all
    /// (the reason is printed; the command should print nothing more).
    pub fn drive<W: std::io::Write>(
        &self,
        pipe: &mut pipeline::Pipeline<W>,
        every: std::time::Duration,
        tick: impl FnMut(&mut pipeline::Pipeline<W>, live::Tick) -> std::io::Result<()>,
    ) -> Result<i32, i32> {
        let Some(live) = &self.live else {
            return Ok(read::drive(pipe, &self.files, self.show_progress()));
        };
        let mut opts = live.clone();
        opts.filter = self.bpf.clone();
        let mut session = live::Session::start(&opts, self.user.as_deref(), |_| Ok(()))?;
        let code = session.run(pipe, self.duration, every, tick);
        session.summary(pipe.number);
        if let Some(s) = pipe.reassembly_summary() {
            eprintln!("{s}");
        }
        Ok(code)
    }

    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }
}

/// Output format shared by `read` and `capture`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
    Detail,
}
