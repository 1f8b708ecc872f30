//! `layerscope demo`: the exchange, the capture, and the report.

use crate::output::style::stdout_wants_color;
use crate::traffic::demo::{self, analyze, render, DemoOptions};
use std::io::Write;

/// `color`: None follows the terminal (and NO_COLOR).
pub fn run(opts: &DemoOptions, color: Option<bool>, json_summary: bool) -> i32 {
    let run = match demo::run(opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return e.exit_code();
        }
    };
    let a = analyze::analyze(&run);
    let color = color.unwrap_or_else(stdout_wants_color);
    let mut text = render::report(&run, &a, color);
    if json_summary {
        text.push_str(&render::json_summary(&run, &a));
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return super::exit::INPUT;
        }
    }
    if run.report.is_none() {
        // The client failed; the report shows what reached the wire.
        return super::exit::INPUT;
    }
    super::exit::OK
}
