//! Colours for the layer model: one colour per tier, used by the table, the
//! detail tree and the hex dump so a byte's colour names its layer.

use crate::dissect::Tier;
use std::io::IsTerminal;

pub const RESET: &str = "\x1b[0m";
pub const DIM: &str = "\x1b[2m";
pub const BOLD: &str = "\x1b[1m";
pub const RED: &str = "\x1b[31m";

/// ANSI colour of a layer tier.
pub fn tier_color(t: Tier) -> &'static str {
    match t {
        Tier::Link => "\x1b[34m",        // blue
        Tier::Network => "\x1b[32m",     // green
        Tier::Transport => "\x1b[33m",   // yellow
        Tier::Application => "\x1b[35m", // magenta
    }
}

/// Colour is on when stdout is a terminal and NO_COLOR is unset or empty
/// (<https://no-color.org>).
pub fn stdout_wants_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Terminal width when stdout is a terminal.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    console_width()
}

fn console_width() -> Option<usize> {
    // indicatif depends on `console`, which knows how to ask the terminal.
    let (_, w) = console::Term::stdout().size_checked()?;
    Some(w as usize)
}
