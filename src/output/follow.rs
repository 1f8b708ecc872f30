//! One conversation's byte stream as output (`follow`), as
//! `tshark -q -z follow,tcp,ascii|hex,N` prints it, or raw.

use crate::dissect::Packet;
use crate::engine::{Sink, Status};
use crate::flow::follow::Follow;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowMode {
    Ascii,
    Hex,
    Raw,
}

/// The `follow` sink: collects the stream, writes it when the input ends.
pub struct FollowSink<W: Write> {
    out: W,
    follow: Follow,
    stream: u32,
    udp: bool,
    mode: FollowMode,
    color: bool,
}

impl<W: Write> FollowSink<W> {
    /// Stream `stream` (`udp.stream` with `udp`, else `tcp.stream`).
    pub fn new(out: W, stream: u32, udp: bool, mode: FollowMode, color: bool) -> Self {
        FollowSink {
            out,
            follow: Follow::new(stream, udp),
            stream,
            udp,
            mode,
            color,
        }
    }

    /// Whether the stream was in the input at all.
    pub fn found(&self) -> bool {
        self.follow.nodes.is_some()
    }
}

impl<W: Write> Sink for FollowSink<W> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.follow.observe(pkt);
        Ok(())
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        self.follow.finish();
        write(
            &self.follow,
            self.stream,
            self.udp,
            self.mode,
            &mut self.out,
            self.color,
        )?;
        self.out.flush()
    }
}

fn ascii(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| {
            if c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c) {
                c
            } else {
                b'.'
            }
        })
        .collect()
}

fn hex_lines<W: Write>(out: &mut W, indent: &str, mut off: usize, b: &[u8]) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(96);
    for line in b.chunks(16) {
        s.clear();
        let _ = write!(s, "{indent}{off:08X}  ");
        for i in 0..16 {
            match line.get(i) {
                Some(x) => {
                    let _ = write!(s, "{x:02x} ");
                }
                None => s.push_str("   "),
            }
            if i == 7 {
                s.push(' ');
            }
        }
        s.push(' ');
        for (i, &c) in line.iter().enumerate() {
            s.push(if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            });
            if i == 7 {
                s.push(' ');
            }
        }
        // As tshark: one trailing space (the separator, or a space byte) goes.
        if s.ends_with(' ') {
            s.pop();
        }
        writeln!(out, "{s}")?;
        off += line.len();
    }
    Ok(())
}

/// The stream in `mode`: tshark's layout (ascii, hex), or the bytes alone (raw).
pub fn write<W: Write>(
    f: &Follow,
    stream: u32,
    udp: bool,
    mode: FollowMode,
    out: &mut W,
    color: bool,
) -> io::Result<()> {
    if mode == FollowMode::Raw {
        for (_, b) in &f.chunks {
            out.write_all(b)?;
        }
        return Ok(());
    }
    let proto = if udp { "udp" } else { "tcp" };
    let mode_name = if mode == FollowMode::Hex {
        "hex"
    } else {
        "ascii"
    };
    let rule = "===================================================================";
    writeln!(out, "\n{rule}")?;
    writeln!(out, "Follow: {proto},{mode_name}")?;
    writeln!(out, "Filter: {proto}.stream eq {}", stream)?;
    let (n0, n1) = f.nodes.clone().unwrap_or_default();
    writeln!(out, "Node 0: {n0}")?;
    writeln!(out, "Node 1: {n1}")?;
    let mut off = [0usize; 2];
    for (dir, b) in &f.chunks {
        // Client red, server blue, as Wireshark's follow window.
        let (on, off_c) = match (color, dir) {
            (false, _) => ("", ""),
            (true, 0) => ("\x1b[31m", "\x1b[0m"),
            (true, _) => ("\x1b[34m", "\x1b[0m"),
        };
        let indent = if *dir == 0 { "" } else { "\t" };
        out.write_all(on.as_bytes())?;
        if mode == FollowMode::Hex {
            hex_lines(out, indent, off[*dir], b)?;
        } else {
            writeln!(out, "{indent}{}", b.len())?;
            out.write_all(&ascii(b))?;
            writeln!(out)?;
        }
        out.write_all(off_c.as_bytes())?;
        off[*dir] += b.len();
    }
    writeln!(out, "{rule}")
}
