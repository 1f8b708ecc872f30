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
/// `follow`): files, a BPF filter before decoding, a display filter after.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub files: Vec<String>,
    pub bpf: Option<String>,
    /// `-Y`: only packets it matches are counted or followed.
    pub display: Option<String>,
    /// Progress bar on standard error; None: when stderr is a terminal and stdout is not.
    pub progress: Option<bool>,
}

impl SourceOptions {
    /// A pipeline feeding `sink`, with both filters compiled.
    pub fn pipeline<W: std::io::Write>(
        &self,
        sink: pipeline::Sink<W>,
        reasm: pipeline::ReasmOptions,
    ) -> Result<pipeline::Pipeline<W>, i32> {
        let mut pipe =
            pipeline::Pipeline::new(sink, self.bpf.as_deref().map(pipeline::Bpf::new), None);
        pipe.set_reassembly(reasm);
        if let Err(e) = pipe.set_display_filter(self.display.as_deref()) {
            eprintln!("{e}");
            return Err(exit::USAGE);
        }
        Ok(pipe)
    }

    pub fn show_progress(&self) -> bool {
        use std::io::IsTerminal;
        self.progress
            .unwrap_or_else(|| std::io::stderr().is_terminal() && !std::io::stdout().is_terminal())
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
