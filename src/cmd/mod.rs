//! Command implementations. `main.rs` parses flags into these option
//! structs; everything that does work lives here and below.

pub mod capture;
pub mod demo;
pub mod flows;
pub mod follow;
pub mod interfaces;
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

/// Output format shared by `read` and `capture`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
    Detail,
}
