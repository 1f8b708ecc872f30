//! What can end a run. The command line words these and picks exit codes.

use crate::source::file::SourceError;
use crate::source::live::LiveError;
use std::fmt;
use std::io;

#[derive(Debug)]
pub enum EngineError {
    /// A BPF filter that does not compile (for a link type met in the input).
    Filter(String),
    /// A capture file or pipe that cannot be opened or read past a point;
    /// the frames before it have been handed on.
    Input { path: String, error: SourceError },
    /// A live capture that cannot be opened or failed while running
    /// (including a missing capture privilege).
    Capture(LiveError),
    /// Root could not be dropped after opening the capture.
    Privilege(String),
    /// A sink could not write its output (a closed pipe included).
    Output(io::Error),
}

impl EngineError {
    /// Byte offset in the input where reading failed, when known.
    pub fn offset(&self) -> Option<u64> {
        match self {
            EngineError::Input { error, .. } => error.offset(),
            _ => None,
        }
    }
}

/// How a path is named in messages: `-` is standard input.
pub fn display_name(path: &str) -> &str {
    if path == "-" {
        "<stdin>"
    } else {
        path
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Filter(m) | EngineError::Privilege(m) => f.write_str(m),
            EngineError::Input { path, error } => write!(f, "{}: {}", display_name(path), error),
            EngineError::Capture(e) => write!(f, "{e}"),
            EngineError::Output(e) => write!(f, "write error: {e}"),
        }
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EngineError::Input { error, .. } => Some(error),
            EngineError::Capture(e) => Some(e),
            EngineError::Output(e) => Some(e),
            _ => None,
        }
    }
}
