//! `layerscope stats`: protocol hierarchy (as `tshark -q -z io,phs`), then
//! ports and endpoints tables built from the conversations.

use super::exit;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::dissect::Packet;
use crate::flow::conversations::{port_service, Conversation, Conversations};
use crate::output::grid::Grid;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct StatsOptions {
    pub source: super::SourceOptions,
    pub max_open: usize,
    pub idle_secs: u64,
}

struct Node {
    name: &'static str,
    frames: u64,
    bytes: u64,
    children: Vec<usize>,
}

/// Packets and bytes per protocol per position in the layer stack.
#[derive(Default)]
pub struct Hierarchy {
    nodes: Vec<Node>,
    roots: Vec<usize>,
}

impl Hierarchy {
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let mut parent: Option<usize> = None;
        let bytes = pkt.wire_len as u64;
        for l in &pkt.layers {
            let name = l.proto.filter_name();
            let list = match parent {
                Some(p) => &self.nodes[p].children,
                None => &self.roots,
            };
            let found = list.iter().copied().find(|&i| self.nodes[i].name == name);
            let i = match found {
                Some(i) => i,
                None => {
                    let i = self.nodes.len();
                    self.nodes.push(Node {
                        name,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                    });
                    match parent {
                        Some(p) => self.nodes[p].children.push(i),
                        None => self.roots.push(i),
                    }
                    i
                }
            };
            self.nodes[i].frames += 1;
            self.nodes[i].bytes += bytes;
            parent = Some(i);
        }
    }

    /// The tree as tshark's `io,phs` prints it (name column 40 wide).
    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|&i| (i, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            let n = &self.nodes[i];
            let label = format!("{}{}", "  ".repeat(depth), n.name);
            writeln!(out, "{label:<40} frames:{} bytes:{}", n.frames, n.bytes)?;
            stack.extend(n.children.iter().rev().map(|&c| (c, depth + 1)));
        }
        Ok(())
    }
}

struct PortRow {
    port: String,
    service: String,
    packets: u64,
    bytes: u64,
    conns: u64,
}

struct EndpointRow {
    addr: String,
    packets: u64,
    bytes: u64,
    convs: u64,
}

/// Service name, packets, bytes, connections.
type PortAgg = (Option<&'static str>, u64, u64, u64);

/// Ports by the responder's (service) port of each TCP/UDP conversation,
/// busiest first.
fn ports(rows: &[&Conversation]) -> Vec<PortRow> {
    let mut m: HashMap<(&'static str, u16), PortAgg> = HashMap::new();
    for c in rows {
        let (Some(pb), Some(_)) = (c.port_b, c.port_a) else {
            continue;
        };
        let e = m.entry((c.transport, pb)).or_insert((None, 0, 0, 0));
        e.0 = e.0.or(port_service(c.ip_proto, pb)).or(c.app);
        e.1 += c.total_packets();
        e.2 += c.total_bytes();
        e.3 += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(a.0.cmp(&b.0)));
    v.into_iter()
        .map(|((t, p), (svc, packets, bytes, conns))| PortRow {
            port: format!("{p}/{}", t.to_ascii_lowercase()),
            service: svc.unwrap_or("-").to_string(),
            packets,
            bytes,
            conns,
        })
        .collect()
}

/// Every address with the traffic of the conversations it takes part in,
/// busiest first.
fn endpoints(rows: &[&Conversation]) -> Vec<EndpointRow> {
    let mut m: HashMap<IpAddr, (u64, u64, u64)> = HashMap::new();
    for c in rows {
        let mut add = |a: IpAddr| {
            let e = m.entry(a).or_default();
            e.0 += c.total_packets();
            e.1 += c.total_bytes();
            e.2 += 1;
        };
        add(c.a);
        if c.b != c.a {
            add(c.b);
        }
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
    v.into_iter()
        .map(|(a, (packets, bytes, convs))| EndpointRow {
            addr: a.to_string(),
            packets,
            bytes,
            convs,
        })
        .collect()
}

pub fn run(opts: &StatsOptions) -> i32 {
    use std::io::IsTerminal;
    let refresh = opts.source.is_live() && io::stdout().is_terminal();
    let stdout = io::stdout().lock();
    run_live_to(opts, io::BufWriter::new(stdout), refresh)
}

pub fn run_to<W: Write>(opts: &StatsOptions, out: W) -> i32 {
    run_live_to(opts, out, false)
}

/// The report: hierarchy, then ports and endpoints.
fn write_report<W: Write>(out: &mut W, phs: &Hierarchy, rows: &[&Conversation]) -> io::Result<()> {
    writeln!(out, "Protocol hierarchy")?;
    phs.write(out)?;
    writeln!(out)?;
    writeln!(out, "Ports (TCP/UDP, by the responder's port)")?;
    let mut g = Grid::new(&[
        ("Port", false),
        ("Service", false),
        ("Packets", true),
        ("Bytes", true),
        ("Connections", true),
    ]);
    for r in ports(rows) {
        g.cell(r.port);
        g.cell(r.service);
        g.cell(r.packets);
        g.cell(r.bytes);
        g.cell(r.conns);
    }
    g.write(out)?;
    writeln!(out)?;
    writeln!(out, "Endpoints")?;
    let mut g = Grid::new(&[
        ("Address", false),
        ("Packets", true),
        ("Bytes", true),
        ("Conversations", true),
    ]);
    for r in endpoints(rows) {
        g.cell(r.addr);
        g.cell(r.packets);
        g.cell(r.bytes);
        g.cell(r.convs);
    }
    g.write(out)
}

/// `run_to`; with `refresh` (a live capture on a terminal) the report is
/// also redrawn in place about once a second, cut to the terminal's height.
pub fn run_live_to<W: Write>(opts: &StatsOptions, mut out: W, refresh: bool) -> i32 {
    let state = Rc::new(RefCell::new((
        Hierarchy::default(),
        Conversations::new(opts.max_open, opts.idle_secs),
    )));
    let s2 = Rc::clone(&state);
    let sink = Sink::Each(Box::new(move |pkt| {
        let mut s = s2.borrow_mut();
        s.0.observe(pkt);
        s.1.observe(pkt);
        Ok(())
    }));
    let mut pipe: Pipeline<io::Sink> = match opts.source.pipeline(sink, ReasmOptions::default()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Stream numbering is bounded by the same cap as the conversations.
    pipe.flows = crate::flow::FlowTracker::new(opts.max_open);
    let iface = opts
        .source
        .live
        .as_ref()
        .and_then(|l| l.interface.clone())
        .unwrap_or_default();
    let mut screen = super::live::Screen::new();
    let started = Instant::now();
    let mut last_draw: Option<Instant> = None;
    let driven = opts
        .source
        .drive(&mut pipe, Duration::from_millis(100), |pipe, why| {
            if why == super::live::Tick::Stop {
                // Back to the normal screen before the closing counters.
                return screen.end(&mut out);
            }
            let mut s = state.borrow_mut();
            s.1.tick(super::flows::wall_clock());
            if !refresh || last_draw.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Ok(());
            }
            last_draw = Some(Instant::now());
            let rows: Vec<&Conversation> = s.1.iter().collect();
            let mut buf = Vec::with_capacity(4096);
            writeln!(
                buf,
                "layerscope stats on {iface}: {} packets, {} conversations ({} open), {} elapsed; Ctrl-C: stop and print all",
                pipe.number,
                rows.len(),
                s.1.open_len(),
                super::live::elapsed(started.elapsed())
            )?;
            write_report(&mut buf, &s.0, &rows)?;
            screen.draw(&mut out, &String::from_utf8_lossy(&buf))
        });
    drop(pipe);
    let code = match driven {
        Ok(c) => c,
        Err(c) => return c,
    };
    if code == exit::USAGE {
        return code;
    }
    let Ok(state) = Rc::try_unwrap(state) else {
        return exit::INPUT;
    };
    let (phs, convs) = state.into_inner();
    let (rows, evicted) = convs.finish();
    let rows: Vec<&Conversation> = rows.iter().collect();
    let written = write_report(&mut out, &phs, &rows).and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if evicted > 0 {
        eprintln!("layerscope: stats: {evicted} conversations closed early (cap or idle timeout)");
    }
    code
}
