//! `layerscope demo`: the exchange, the capture, and the report.

use super::{exit, live_code};
use crate::engine::Stop;
use crate::output::style::stdout_wants_color;
use crate::traffic::demo::{self, analyze, render, DemoError, DemoOptions};
use std::io::Write;

/// The exit code for a demo's error; an interrupted run exits as the
/// signal would have ended it (128 + its number).
fn demo_code(e: &DemoError) -> i32 {
    match e {
        DemoError::Privilege(_) => exit::PRIVILEGE,
        DemoError::Usage(_) => exit::USAGE,
        DemoError::Capture(e) => live_code(e),
        DemoError::Setup(_) | DemoError::Net(_) => exit::INPUT,
        DemoError::Interrupted(sig) => 128 + sig,
    }
}

/// `color`: None follows the terminal (and NO_COLOR).
pub fn run(opts: &DemoOptions, color: Option<bool>, json_summary: bool) -> i32 {
    // Ctrl-C (or a kill) must not leave namespaces behind: the demo sees
    // the flag, removes them and returns.
    let interrupt = Stop::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if let Err(e) = signal_hook::flag::register_usize(sig, interrupt.flag(), sig as usize) {
            eprintln!("layerscope: cannot install signal handlers: {e}");
            return exit::INPUT;
        }
    }
    let run = match demo::run(opts, &interrupt) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return demo_code(&e);
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
            return exit::INPUT;
        }
    }
    if run.report.is_none() {
        // The client failed; the report shows what reached the wire.
        return exit::INPUT;
    }
    exit::OK
}
