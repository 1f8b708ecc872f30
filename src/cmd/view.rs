//! `layerscope view`: flags → the interactive view; errors → exit codes.

use super::exit;
use crate::engine::Stop;
use crate::view::{ViewError, ViewOptions};

pub fn run(opts: &ViewOptions) -> i32 {
    if let Some(d) = &opts.display {
        if let Err(code) = super::display_filter(Some(d)) {
            return code;
        }
    }
    let stop = Stop::new();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_usize(sig, stop.flag(), sig as usize);
    }
    match crate::view::run(opts, &stop) {
        Ok(()) => match stop.signal() {
            // Stopped by a signal: exit as the shell expects (128 + N).
            Some(sig) => 128 + sig,
            None => exit::OK,
        },
        Err(e) => {
            eprintln!("layerscope: {e}");
            match e {
                ViewError::NotATerminal => exit::USAGE,
                _ => exit::INPUT,
            }
        }
    }
}
