//! `layerscope follow`: the byte stream of one TCP (or UDP) conversation,
//! both directions in order, as `tshark -q -z follow,tcp,ascii,N` prints it.
//!
//! Each direction is put in sequence order: data already delivered
//! (retransmissions, overlaps) is skipped, data past a gap waits until the
//! gap fills (and is flushed as it is at the end of the capture).

use super::exit;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::dissect::{
    transport::tcp::{self, TcpHeader},
    Packet, Proto,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowMode {
    Ascii,
    Hex,
    Raw,
}

#[derive(Clone, Debug)]
pub struct FollowOptions {
    pub source: super::SourceOptions,
    pub stream: u32,
    pub udp: bool,
    pub mode: FollowMode,
    pub color: Option<bool>,
}

/// Cap on out-of-order bytes held per direction.
const MAX_PENDING: usize = 64 << 20;

#[derive(Default)]
struct Dir {
    next: Option<u32>,
    /// Segments past a gap, by sequence number.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_bytes: usize,
}

/// The followed stream: endpoints and chunks in delivery order.
#[derive(Default)]
pub struct Follow {
    stream: u32,
    udp: bool,
    /// Node 0 (the first packet's sender) and node 1, as "addr:port".
    pub nodes: Option<(String, String)>,
    node0: Option<(std::net::IpAddr, u16)>,
    dirs: [Dir; 2],
    /// (direction, bytes); direction 0 is from node 0.
    pub chunks: Vec<(usize, Vec<u8>)>,
}

fn ep(a: std::net::IpAddr, p: u16) -> String {
    match a {
        std::net::IpAddr::V6(v) => format!("{v}:{p}"),
        a => format!("{a}:{p}"),
    }
}

impl Follow {
    pub fn new(stream: u32, udp: bool) -> Self {
        Follow {
            stream,
            udp,
            ..Default::default()
        }
    }

    pub fn observe(&mut self, pkt: &Packet<'_>) {
        if pkt.flow.stream != Some(self.stream) {
            return;
        }
        let want = if self.udp { Proto::Udp } else { Proto::Tcp };
        let Some(idx) = pkt.layers.iter().position(|l| {
            matches!(
                l.proto,
                Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6
            )
        }) else {
            return;
        };
        let t = pkt.layers[idx];
        if t.proto != want {
            return;
        }
        let (Some((src, dst)), Some((sp, dp))) = (pkt.addrs(), pkt.ports()) else {
            return;
        };
        let node0 = *self.node0.get_or_insert((src, sp));
        if self.nodes.is_none() {
            self.nodes = Some((ep(src, sp), ep(dst, dp)));
        }
        let dir = usize::from((src, sp) != node0);
        if self.udp {
            let p = pkt.bytes_of(&t, t.payload());
            if !p.is_empty() {
                self.chunks.push((dir, p.to_vec()));
            }
            return;
        }
        // The stream was numbered, so the header holds at least its window.
        let Some(h) = TcpHeader::new_through_window(pkt.bytes_of(&t, t.header())) else {
            return;
        };
        let (seq, flags) = (h.seq(), h.flags());
        let len = tcp::seg_len(pkt, idx).unwrap_or(0) as usize;
        let data = pkt.bytes_of(&t, t.payload());
        let data = &data[..data.len().min(len)];
        let d = &mut self.dirs[dir];
        // Data starts one past the SYN.
        let start = if flags & tcp::SYN != 0 {
            seq.wrapping_add(1)
        } else {
            seq
        };
        if flags & tcp::SYN != 0 {
            d.next = Some(start);
        }
        if data.is_empty() {
            return;
        }
        let next = *d.next.get_or_insert(start);
        let ahead = start.wrapping_sub(next) as i32;
        if ahead > 0 {
            if d.pending_bytes + data.len() <= MAX_PENDING {
                d.pending_bytes += data.len();
                d.pending.entry(start).or_insert_with(|| data.to_vec());
            }
            return;
        }
        // Skip what was delivered already.
        let skip = (-(ahead as i64)) as usize;
        if skip >= data.len() {
            return;
        }
        self.deliver(dir, start.wrapping_add(skip as u32), &data[skip..]);
    }

    fn deliver(&mut self, dir: usize, at: u32, data: &[u8]) {
        self.chunks.push((dir, data.to_vec()));
        let d = &mut self.dirs[dir];
        let mut next = at.wrapping_add(data.len() as u32);
        d.next = Some(next);
        // Pending segments that now touch or overlap the delivered data.
        while let Some(s) = d
            .pending
            .keys()
            .copied()
            .find(|&s| (s.wrapping_sub(next) as i32) <= 0)
        {
            let Some(buf) = d.pending.remove(&s) else {
                break;
            };
            d.pending_bytes -= buf.len();
            let skip = next.wrapping_sub(s) as usize;
            if skip < buf.len() {
                self.chunks.push((dir, buf[skip..].to_vec()));
                next = s.wrapping_add(buf.len() as u32);
                d.next = Some(next);
            }
        }
    }

    /// Data still waiting behind a gap at the end, in sequence order.
    pub fn finish(&mut self) {
        for dir in 0..2 {
            let pending = std::mem::take(&mut self.dirs[dir].pending);
            for (_, buf) in pending {
                self.chunks.push((dir, buf));
            }
        }
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

pub fn run(opts: &FollowOptions) -> i32 {
    let stdout = io::stdout().lock();
    let color = opts
        .color
        .unwrap_or_else(crate::output::style::stdout_wants_color);
    run_to(opts, io::BufWriter::new(stdout), color)
}

pub fn run_to<W: Write>(opts: &FollowOptions, mut out: W, color: bool) -> i32 {
    let f = Rc::new(RefCell::new(Follow::new(opts.stream, opts.udp)));
    let f2 = Rc::clone(&f);
    let sink = Sink::Each(Box::new(move |pkt| {
        f2.borrow_mut().observe(pkt);
        Ok(())
    }));
    // Sequence order is rebuilt here; the dissector's reassembly is not needed.
    let reasm = ReasmOptions {
        enabled: false,
        ..Default::default()
    };
    let mut pipe: Pipeline<io::Sink> = match opts.source.pipeline(sink, reasm) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Live (-i): collected until the capture stops, then printed.
    let code = match opts
        .source
        .drive(&mut pipe, std::time::Duration::from_secs(1), |_, _| Ok(()))
    {
        Ok(c) => c,
        Err(c) => return c,
    };
    drop(pipe);
    if code == exit::USAGE {
        return code;
    }
    let Ok(f) = Rc::try_unwrap(f) else {
        return exit::INPUT;
    };
    let mut f = f.into_inner();
    f.finish();
    let r = write(&f, opts, &mut out, color).and_then(|()| out.flush());
    if let Err(e) = r {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if f.nodes.is_none() {
        eprintln!(
            "layerscope: follow: no {} stream {} in the capture",
            if opts.udp { "UDP" } else { "TCP" },
            opts.stream
        );
        return exit::INPUT;
    }
    code
}

fn write<W: Write>(f: &Follow, opts: &FollowOptions, out: &mut W, color: bool) -> io::Result<()> {
    if opts.mode == FollowMode::Raw {
        for (_, b) in &f.chunks {
            out.write_all(b)?;
        }
        return Ok(());
    }
    let proto = if opts.udp { "udp" } else { "tcp" };
    let mode = if opts.mode == FollowMode::Hex {
        "hex"
    } else {
        "ascii"
    };
    let rule = "===================================================================";
    writeln!(out, "\n{rule}")?;
    writeln!(out, "Follow: {proto},{mode}")?;
    writeln!(out, "Filter: {proto}.stream eq {}", opts.stream)?;
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
        if opts.mode == FollowMode::Hex {
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
