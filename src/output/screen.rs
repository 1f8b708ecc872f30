//! A view redrawn in place on a terminal (the live `flows` and `stats`).

use std::io::{self, Write};
use std::time::Duration;

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
