//! Protocol statistics as output (`stats`): the hierarchy as tshark's
//! `io,phs` prints it, then ports and endpoints tables; live, redrawn in
//! place about once a second.

use super::grid::Grid;
use super::screen::{self, Screen};
use crate::dissect::Packet;
use crate::engine::parallel::Split;
use crate::engine::{Sink, Status, Tick};
use crate::flow::conversations::{Conversation, Conversations};
use crate::flow::stats::{endpoints, ports, Hierarchy};
use crate::source::Timestamp;
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// The tree as tshark's `io,phs` prints it (name column 40 wide).
pub fn write_hierarchy<W: Write>(out: &mut W, phs: &Hierarchy) -> io::Result<()> {
    let mut r = Ok(());
    phs.walk(|n, depth| {
        if r.is_ok() {
            let label = format!("{}{}", "  ".repeat(depth), n.name);
            r = writeln!(out, "{label:<40} frames:{} bytes:{}", n.frames, n.bytes);
        }
    });
    r
}

/// The report: hierarchy, then ports and endpoints.
/// `width`: fit the tables to a terminal this wide.
pub fn write_report<W: Write>(
    out: &mut W,
    phs: &Hierarchy,
    rows: &[&Conversation],
    width: Option<usize>,
) -> io::Result<()> {
    writeln!(out, "Protocol hierarchy")?;
    write_hierarchy(out, phs)?;
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
    g.write_fit(out, width, &[(1, 8)], &[3])?;
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
    // Addresses shrink down to 15 columns ("2001:db8…:0001").
    g.write_fit(out, width, &[(0, 15)], &[3])
}

/// How often the live report is redrawn.
const REDRAW: Duration = Duration::from_secs(1);

struct Refresh {
    iface: String,
    screen: Screen,
    started: Instant,
    last_draw: Option<Instant>,
}

/// The `stats` sink: the hierarchy and the conversations, reported when the
/// input ends.
pub struct StatsSink<W: Write> {
    out: W,
    phs: Hierarchy,
    convs: Conversations,
    live: bool,
    refresh: Option<Refresh>,
    evicted: u64,
    width: Option<usize>,
}

impl<W: Write> StatsSink<W> {
    pub fn new(out: W, max_open: usize, idle_secs: u64) -> Self {
        StatsSink {
            out,
            phs: Hierarchy::default(),
            convs: {
                // Swept on every frame's clock, not only on the ones shown.
                let mut c = Conversations::new(max_open, idle_secs);
                c.use_external_clock();
                c
            },
            live: false,
            refresh: None,
            evicted: 0,
            width: None,
        }
    }

    /// Fits the report's tables to a terminal `width` columns wide.
    pub fn with_width(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// A live capture on `iface`: idle conversations close by the wall
    /// clock; with `refresh` (a terminal) the report is redrawn in place,
    /// cut to the terminal's height.
    pub fn live(mut self, iface: &str, refresh: bool) -> Self {
        self.live = true;
        self.refresh = refresh.then(|| Refresh {
            iface: iface.to_string(),
            screen: Screen::new(),
            started: Instant::now(),
            last_draw: None,
        });
        self
    }

    /// Conversations closed early (cap or idle timeout), known after `finish`.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

impl<W: Write> Sink for StatsSink<W> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.phs.observe(pkt);
        self.convs.observe(pkt);
        Ok(())
    }

    fn clock(&mut self, ts: Timestamp) {
        self.convs.advance(ts);
    }

    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        if !self.live {
            return Ok(());
        }
        if why == Tick::Stop {
            // Back to the normal screen before the closing counters.
            return match &mut self.refresh {
                Some(r) => r.screen.end(&mut self.out),
                None => Ok(()),
            };
        }
        self.convs.tick(Timestamp::now());
        let Some(r) = &mut self.refresh else {
            return Ok(());
        };
        if r.last_draw.is_some_and(|t| t.elapsed() < REDRAW) {
            return Ok(());
        }
        r.last_draw = Some(Instant::now());
        let rows: Vec<&Conversation> = self.convs.iter().collect();
        let mut buf = Vec::with_capacity(4096);
        writeln!(
            buf,
            "layerscope stats on {}: {} packets, {} conversations ({} active, {} ended or idle), {} elapsed; Ctrl-C: stop and print all",
            r.iface,
            status.packets,
            rows.len(),
            self.convs.active_len(),
            rows.len() - self.convs.active_len().min(rows.len()),
            screen::elapsed(r.started.elapsed())
        )?;
        write_report(&mut buf, &self.phs, &rows, Some(Screen::size().1))?;
        r.screen.draw(&mut self.out, &String::from_utf8_lossy(&buf))
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        let (rows, evicted) = std::mem::take(&mut self.convs).finish();
        self.evicted = evicted;
        let rows: Vec<&Conversation> = rows.iter().collect();
        write_report(&mut self.out, &self.phs, &rows, self.width)?;
        self.out.flush()
    }
}

/// One worker's hierarchy and conversations (`--threads`).
pub struct StatsPart {
    phs: Hierarchy,
    convs: Conversations,
}

impl Sink for StatsPart {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.phs.observe(pkt);
        self.convs.observe(pkt);
        Ok(())
    }
}

impl<W: Write> Split for StatsSink<W> {
    type Part = StatsPart;

    fn part(&self) -> StatsPart {
        StatsPart {
            phs: Hierarchy::default(),
            convs: self.convs.share(),
        }
    }

    fn clock_every(&self) -> Option<i128> {
        Some(self.convs.sweep_every())
    }

    fn use_clock(part: &mut StatsPart) {
        part.convs.use_external_clock();
    }

    fn clock(part: &mut StatsPart, now: Timestamp) {
        part.convs.clock(now);
    }

    fn late_streams(&self) -> bool {
        true
    }

    fn renumber(part: &mut StatsPart, map: &crate::engine::parallel::StreamMap) {
        part.convs.renumber(map);
    }

    fn join(&mut self, parts: Vec<StatsPart>, status: &Status) -> io::Result<()> {
        for p in parts {
            self.phs.merge(&p.phs);
            self.convs.absorb(p.convs);
        }
        Sink::finish(self, status)
    }
}
