//! `layerscope demo`: run the echo server and client in-process, inside
//! network namespaces the demo creates, capture their exchange live, and
//! explain it layer by layer.
//!
//! Why namespaces: on the host's `lo` the kernel hands the capture GSO
//! super-segments (one 5000-byte send shows as two 2440-byte "segments"),
//! and other programs' traffic shares the interface. A fresh namespace has
//! a `lo` of its own whose offloads we may turn off, and `--veth` joins two
//! namespaces with a veth pair (MTU 1500) so frames carry real MAC addresses
//! and ARP/NDP show up. Each thread enters its namespace with setns(2): the
//! server and capture threads live in the server's, the client thread in
//! the client's.

pub mod analyze;
pub mod netns;
pub mod render;

use super::client::{self, ClientOptions, ClientReport};
use super::explain::{Event, EventLog, Narrator, Role};
use super::server::{Server, ServerOptions};
use super::{NetError, Transport};
use crate::dissect::Packet;
use crate::engine::live::LiveFrames;
use crate::engine::{Engine, EngineError, EngineOptions, Sink, Stop};
use crate::source::live::{LiveError, LiveOptions, LiveSource, LiveStats};
use netns::{Namespaces, NsError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use crate::engine::source::OwnedFrame;

/// Most frames the demo keeps; a run past this is cut and says so.
pub const MAX_FRAMES: usize = 50_000;
/// Largest TCP message the demo sends (a bigger one only makes the output longer).
pub const MAX_TCP_SIZE: usize = 1 << 20;
/// Largest UDP payload in one IPv4 datagram.
pub const MAX_UDP_SIZE: usize = 65_507;
/// How long to keep capturing after the exchange, for trailing ACKs/FINs.
const TRAILING: Duration = Duration::from_millis(300);
/// The capture's kernel ring. lo's 64 KiB MTU makes every ring slot 64 KiB,
/// so libpcap's 2 MiB default holds about 31 frames, and lo puts each packet
/// in twice (sent and received): a capture thread that a busy machine leaves
/// unscheduled for a moment drops most of a burst.
const RING_BYTES: i32 = 32 << 20;
/// Interface names inside the namespaces (`--veth`).
pub const SERVER_DEV: &str = "srv0";
pub const CLIENT_DEV: &str = "cli0";
/// The veth link's MTU.
pub const VETH_MTU: u32 = 1500;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub transport: Transport,
    pub ipv6: bool,
    /// The bytes the client sends (already framed: TCP messages end in `\n`).
    pub message: Vec<u8>,
    /// TCP_MAXSEG on the client socket.
    pub mss: Option<u32>,
    pub veth: bool,
    /// Tests only: wait this long after the namespaces exist, before the client starts.
    pub pause: Option<Duration>,
}

/// Which link the exchange ran over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// The `lo` of one fresh namespace.
    Loopback,
    /// A veth pair between two namespaces.
    Veth,
}

/// Everything the run produced; the analysis works only from this.
pub struct DemoRun {
    pub opts: DemoOptions,
    pub link: Link,
    pub namespaces: Vec<String>,
    /// Capture interface and its link type.
    pub interface: String,
    pub linktype: u32,
    pub mtu: Option<u32>,
    pub filter: String,
    /// None when offloads are off; otherwise why they could not be turned off.
    pub offload_problem: Option<String>,
    pub server: SocketAddr,
    /// The client's address (the port the kernel picked).
    pub client: SocketAddr,
    pub report: Option<ClientReport>,
    pub events: Vec<Event>,
    pub frames: Vec<OwnedFrame>,
    /// Frames not kept past MAX_FRAMES.
    pub frames_cut: u64,
    pub stats: LiveStats,
    /// Something that went wrong after the capture was running (shown, not fatal).
    pub problems: Vec<String>,
}

#[derive(Debug)]
pub enum DemoError {
    Privilege(String),
    Usage(String),
    Setup(String),
    Capture(LiveError),
    Net(NetError),
    /// A signal (its number) asked to stop; the namespaces are gone.
    Interrupted(i32),
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::Privilege(m) | DemoError::Usage(m) | DemoError::Setup(m) => f.write_str(m),
            DemoError::Capture(e) => write!(f, "{e}"),
            DemoError::Net(e) => write!(f, "{e}"),
            DemoError::Interrupted(_) => {
                f.write_str("interrupted; the demo's network namespaces are removed")
            }
        }
    }
}

/// The message `capture` prints without rights, for the demo's interface.
fn privilege_error(interface: &str, detail: &str) -> DemoError {
    let e = LiveError::Privilege {
        interface: interface.into(),
        detail: format!("{detail}; the demo also creates network namespaces, which needs root"),
    };
    DemoError::Privilege(e.to_string())
}

fn ns_error(e: NsError) -> DemoError {
    match e {
        NsError::Privilege(d) => privilege_error("lo", &d),
        NsError::Missing(c) => DemoError::Setup(format!(
            "the demo needs the `{c}` command (Debian package iproute2) to create network namespaces"
        )),
        NsError::Failed(d) => DemoError::Setup(format!("cannot set up the demo's network: {d}")),
    }
}

/// Addresses of the server and client for a link and IP version.
pub fn addresses(link: Link, ipv6: bool) -> (IpAddr, IpAddr) {
    match (link, ipv6) {
        (Link::Loopback, false) => (Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into()),
        (Link::Loopback, true) => (Ipv6Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()),
        (Link::Veth, false) => (
            Ipv4Addr::new(10, 99, 0, 1).into(),
            Ipv4Addr::new(10, 99, 0, 2).into(),
        ),
        (Link::Veth, true) => (
            Ipv6Addr::new(0xfd99, 0, 0, 0, 0, 0, 0, 1).into(),
            Ipv6Addr::new(0xfd99, 0, 0, 0, 0, 0, 0, 2).into(),
        ),
    }
}

/// The kernel filter: our transport, plus what resolves addresses (ARP,
/// NDP), ICMP errors, and IP fragments (whose later pieces carry no ports).
/// The namespaces are private, so nothing else shares the interface.
pub fn capture_filter(t: Transport) -> String {
    let tp = match t {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    format!("{tp} or arp or icmp or icmp6 or (ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)")
}

fn check(opts: &DemoOptions) -> Result<(), DemoError> {
    if opts.transport == Transport::Udp && opts.mss.is_some() {
        return Err(DemoError::Usage(
            "--mss applies to TCP only (UDP has no segments)".into(),
        ));
    }
    let max = match opts.transport {
        Transport::Tcp => MAX_TCP_SIZE,
        Transport::Udp => MAX_UDP_SIZE,
    };
    if opts.message.is_empty() || opts.message.len() > max {
        return Err(DemoError::Usage(format!(
            "the demo sends 1 to {max} bytes over {} (asked for {})",
            opts.transport.name(),
            opts.message.len()
        )));
    }
    Ok(())
}

/// Runs the whole exchange and returns what was captured. The namespaces
/// are gone when this returns, whatever happened. `interrupt` is checked
/// at every step and while waiting (wire it to SIGINT and SIGTERM: Ctrl-C
/// must not leave namespaces behind); once set, the run cleans up and
/// returns `DemoError::Interrupted`.
pub fn run(opts: &DemoOptions, interrupt: &Stop) -> Result<DemoRun, DemoError> {
    check(opts)?;
    if !nix::unistd::geteuid().is_root() {
        return Err(privilege_error("lo", "not running as root"));
    }
    run_in_namespaces(opts, interrupt)
}

/// How often a wait looks at the interrupt flag.
const POLL: Duration = Duration::from_millis(20);

/// Err once a signal asked to stop.
fn check_interrupt(interrupt: &Stop) -> Result<(), DemoError> {
    if interrupt.is_requested() {
        let sig = interrupt.signal().unwrap_or(signal_hook::consts::SIGINT);
        return Err(DemoError::Interrupted(sig));
    }
    Ok(())
}

/// Sleeps for `d`, waking early (with the error) when interrupted.
fn sleep_unless_interrupted(d: Duration, interrupt: &Stop) -> Result<(), DemoError> {
    let until = Instant::now() + d;
    loop {
        check_interrupt(interrupt)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        thread::sleep(left.min(POLL));
    }
}

fn run_in_namespaces(opts: &DemoOptions, interrupt: &Stop) -> Result<DemoRun, DemoError> {
    let link = if opts.veth {
        Link::Veth
    } else {
        Link::Loopback
    };
    let ns = match link {
        Link::Loopback => Namespaces::create(&["lo"]),
        Link::Veth => Namespaces::create(&["srv", "cli"]),
    }
    .map_err(ns_error)?;
    check_interrupt(interrupt)?;
    let server_ns = ns.names[0].clone();
    let client_ns = ns
        .names
        .last()
        .cloned()
        .unwrap_or_else(|| server_ns.clone());
    let (server_ip, client_ip) = addresses(link, opts.ipv6);

    let mut offload_problem = None;
    let (interface, mtu) = match link {
        Link::Loopback => {
            netns::run("ip", &["-n", &server_ns, "link", "set", "lo", "up"]).map_err(ns_error)?;
            if let Err(e) = netns::offloads_off(&server_ns, "lo") {
                offload_problem = Some(e);
            }
            ("lo".to_string(), link_mtu(&server_ns, "lo"))
        }
        Link::Veth => {
            setup_veth(&server_ns, &client_ns, &mut offload_problem)?;
            (SERVER_DEV.to_string(), link_mtu(&server_ns, SERVER_DEV))
        }
    };
    sleep_unless_interrupted(opts.pause.unwrap_or_default(), interrupt)?;

    let log: EventLog = Arc::new(Mutex::new(Vec::new()));
    let narrator = |role| Narrator {
        role,
        print: false,
        log: Some(Arc::clone(&log)),
    };

    // 1. The capture, open before the first socket call.
    let filter = capture_filter(opts.transport);
    let stop = Stop::new();
    let (cap_tx, cap_rx) = mpsc::channel();
    let cap_thread = {
        let ns = server_ns.clone();
        let stop = stop.clone();
        let live = LiveOptions {
            interface: Some(interface.clone()),
            promisc: false,
            filter: Some(filter.clone()),
            snaplen: snaplen(opts, mtu, offload_problem.is_some()),
            buffer_size: Some(RING_BYTES),
            ..Default::default()
        };
        thread::spawn(move || capture(&ns, &live, stop, cap_tx))
    };
    let linktype = match cap_rx.recv() {
        Ok(Ok(lt)) => lt,
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(DemoError::Setup("the capture thread stopped".into())),
    };

    // 2. The server: bound to an ephemeral port, serving one client.
    let (srv_tx, srv_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    {
        let ns = server_ns.clone();
        let o = ServerOptions {
            transport: opts.transport,
            listen: SocketAddr::new(server_ip, 0),
            backlog: 16,
            limit: Some(1),
        };
        let say = narrator(Role::Server);
        // Not joined: if the client fails, the server may wait in accept()
        // forever; the process exit ends it.
        thread::spawn(move || {
            if let Err(e) = netns::enter(&ns) {
                let _ = srv_tx.send(Err(DemoError::Setup(e)));
                return;
            }
            match Server::bind(o, say) {
                Ok(s) => {
                    let _ = srv_tx.send(Ok(s.local));
                    let _ = done_tx.send(s.serve());
                }
                Err(e) => {
                    let _ = srv_tx.send(Err(DemoError::Net(e)));
                }
            }
        });
    }
    let finish = |stop: &Stop| stop.request();
    let server = match srv_rx.recv() {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            finish(&stop);
            return Err(e);
        }
        Err(_) => {
            finish(&stop);
            return Err(DemoError::Setup("the server thread stopped".into()));
        }
    };

    // 3. The client, in its own namespace (the same one on lo).
    let copts = ClientOptions {
        transport: opts.transport,
        server,
        message: opts.message.clone(),
        repeat: 1,
        mss: opts.mss,
        timeout: Duration::from_secs(5),
    };
    if let Err(e) = check_interrupt(interrupt) {
        finish(&stop);
        return Err(e);
    }
    let say = narrator(Role::Client);
    let client_thread = {
        let ns = client_ns.clone();
        thread::spawn(move || -> Result<ClientReport, DemoError> {
            netns::enter(&ns).map_err(DemoError::Setup)?;
            client::run(&copts, &say).map_err(DemoError::Net)
        })
    };
    while !client_thread.is_finished() {
        if let Err(e) = check_interrupt(interrupt) {
            finish(&stop);
            return Err(e);
        }
        thread::sleep(POLL);
    }
    let client_result = client_thread
        .join()
        .unwrap_or_else(|_| Err(DemoError::Setup("the client thread panicked".into())));
    let mut problems = Vec::new();
    let report = match client_result {
        Ok(r) => Some(r),
        Err(e @ DemoError::Net(_)) => {
            // Still show what reached the wire: a refused or reset connection is worth seeing.
            problems.push(format!("client: {e}"));
            None
        }
        Err(e) => {
            finish(&stop);
            return Err(e);
        }
    };
    if report.is_some() {
        let until = Instant::now() + Duration::from_secs(3);
        loop {
            if let Err(e) = check_interrupt(interrupt) {
                finish(&stop);
                return Err(e);
            }
            match done_rx.recv_timeout(POLL) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => problems.push(format!("server: {e}")),
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < until => continue,
                Err(_) => {
                    problems.push("server: still running 3 s after the client finished".into())
                }
            }
            break;
        }
    }
    let trailing = sleep_unless_interrupted(TRAILING, interrupt);
    finish(&stop);
    trailing?;
    let captured = cap_thread
        .join()
        .map_err(|_| DemoError::Setup("the capture thread panicked".into()))?;
    if let Some(e) = captured.error {
        problems.push(format!("capture: {e}"));
    }
    if captured.stats.dropped > 0 {
        problems.push(format!(
            "the kernel dropped {} frames (the capture ring was full): counts in this report \
             may be short",
            captured.stats.dropped
        ));
    }
    if captured.cut > 0 {
        problems.push(format!(
            "only the first {MAX_FRAMES} frames were kept ({} more): counts may be short",
            captured.cut
        ));
    }
    let mut events = log.lock().map(|l| l.clone()).unwrap_or_default();
    events.sort_by_key(|e| e.ts);
    let client_port = report
        .as_ref()
        .and_then(|r| r.local)
        .map(|a| a.port())
        .unwrap_or(0);
    let namespaces = ns.names.clone();
    drop(ns);
    Ok(DemoRun {
        opts: opts.clone(),
        link,
        namespaces,
        interface,
        linktype,
        mtu,
        filter,
        offload_problem,
        server,
        client: SocketAddr::new(client_ip, client_port),
        report,
        events,
        frames: captured.frames,
        frames_cut: captured.cut,
        stats: captured.stats,
        problems,
    })
}

/// Bytes to capture per frame: the biggest frame this exchange can make,
/// whole. A ring slot is as big as the snap length (up to the MTU), so a
/// tight one lets the ring hold many more of the small segments a low MSS
/// makes. With offloads on, GSO super-segments can reach 64 KiB: take all.
fn snaplen(opts: &DemoOptions, mtu: Option<u32>, offloads_on: bool) -> i32 {
    const FULL: i32 = 262_144;
    if offloads_on {
        return FULL;
    }
    // Echo reply: prefix + message; UDP adds its header.
    let mut payload = opts.message.len() + super::ECHO_PREFIX.len() + 8;
    if let Some(m) = opts.mss {
        payload = payload.min(m as usize);
    }
    if let Some(m) = mtu {
        payload = payload.min(m as usize);
    }
    // Link header + the longest IP (60 or 40 + 8) and TCP (60) headers.
    let frame = 14 + 60 + 60 + payload;
    i32::try_from(frame).map_or(FULL, |f| f.clamp(256, FULL))
}

/// Two namespaces joined by a veth pair: addresses, MTU, offloads off, up.
/// No link-local addresses (addrgenmode none) and no DAD (nodad), so the
/// only ICMPv6 on the link is the neighbour discovery our exchange needs.
fn setup_veth(s: &str, c: &str, offload_problem: &mut Option<String>) -> Result<(), DemoError> {
    let mtu = VETH_MTU.to_string();
    let ip = |args: &[&str]| netns::run("ip", args).map_err(ns_error);
    ip(&["-n", s, "link", "set", "lo", "up"])?;
    ip(&["-n", c, "link", "set", "lo", "up"])?;
    ip(&[
        "-n", s, "link", "add", SERVER_DEV, "type", "veth", "peer", "name", CLIENT_DEV, "netns", c,
    ])?;
    for (ns, dev, v4, v6) in [
        (s, SERVER_DEV, "10.99.0.1/24", "fd99::1/64"),
        (c, CLIENT_DEV, "10.99.0.2/24", "fd99::2/64"),
    ] {
        ip(&[
            "-n",
            ns,
            "link",
            "set",
            dev,
            "mtu",
            &mtu,
            "addrgenmode",
            "none",
        ])?;
        ip(&["-n", ns, "addr", "add", v4, "dev", dev])?;
        ip(&["-n", ns, "addr", "add", v6, "dev", dev, "nodad"])?;
        if let Err(e) = netns::offloads_off(ns, dev) {
            offload_problem.get_or_insert(e);
        }
    }
    ip(&["-n", s, "link", "set", SERVER_DEV, "up"])?;
    ip(&["-n", c, "link", "set", CLIENT_DEV, "up"])?;
    Ok(())
}

/// The interface's MTU, from `ip -o link show`.
fn link_mtu(ns: &str, dev: &str) -> Option<u32> {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    it.find(|w| *w == "mtu")?;
    it.next()?.parse().ok()
}

struct Captured {
    frames: Vec<OwnedFrame>,
    cut: u64,
    stats: LiveStats,
    error: Option<EngineError>,
}

/// The capture's sink: a copy of every frame, up to `MAX_FRAMES`.
#[derive(Default)]
struct Keep {
    frames: Vec<OwnedFrame>,
    cut: u64,
}

impl Sink for Keep {
    fn packet(&mut self, pkt: &Packet<'_>) -> std::io::Result<()> {
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(OwnedFrame {
                ts: pkt.ts,
                wire_len: pkt.wire_len,
                bytes: pkt.data.to_vec(),
            });
        } else {
            self.cut += 1;
        }
        Ok(())
    }
}

/// The capture thread: enters the server's namespace, opens the interface,
/// reports the link type (or the error), then runs the engine over the
/// capture, keeping every frame, until `stop`.
fn capture(
    ns: &str,
    live: &LiveOptions,
    stop: Stop,
    ready: mpsc::Sender<Result<u32, DemoError>>,
) -> Captured {
    let mut c = Captured {
        frames: Vec::new(),
        cut: 0,
        stats: LiveStats::default(),
        error: None,
    };
    if let Err(e) = netns::enter(ns) {
        let _ = ready.send(Err(DemoError::Setup(e)));
        return c;
    }
    let src = match LiveSource::open(live) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(DemoError::Capture(e)));
            return c;
        }
    };
    let _ = ready.send(Ok(src.linktype));
    let mut frames = LiveFrames::new(src);
    frames.set_stop(stop);
    // The analysis decodes the kept frames later; here they are only kept.
    let mut engine = Engine::new(EngineOptions {
        plain: true,
        ..Default::default()
    });
    let mut keep = Keep::default();
    if let Err(e) = engine.run(&mut frames, &mut keep) {
        c.error = Some(e);
    }
    c.frames = keep.frames;
    c.cut = keep.cut;
    c.stats = frames.stats();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(t: Transport, n: usize, mss: Option<u32>) -> DemoOptions {
        DemoOptions {
            transport: t,
            ipv6: false,
            message: vec![b'x'; n],
            mss,
            veth: false,
            pause: None,
        }
    }

    #[test]
    fn snap_length_holds_the_biggest_frame() {
        // A 200-byte message: the 206-byte echo is the biggest payload.
        assert_eq!(
            snaplen(&opts(Transport::Tcp, 200, None), Some(65536), false),
            14 + 120 + 214
        );
        // The MSS bounds every segment.
        assert_eq!(
            snaplen(
                &opts(Transport::Tcp, 100_000, Some(536)),
                Some(65536),
                false
            ),
            14 + 120 + 536
        );
        // The MTU bounds every fragment.
        assert_eq!(
            snaplen(&opts(Transport::Udp, 3000, None), Some(1500), false),
            14 + 120 + 1500
        );
        // GSO super-segments can be 64 KiB.
        assert_eq!(
            snaplen(&opts(Transport::Tcp, 100, None), Some(65536), true),
            262_144
        );
    }

    #[test]
    fn usage_checks() {
        assert!(matches!(
            check(&opts(Transport::Udp, 10, Some(500))),
            Err(DemoError::Usage(_))
        ));
        assert!(matches!(
            check(&opts(Transport::Udp, 70_000, None)),
            Err(DemoError::Usage(_))
        ));
        assert!(matches!(
            check(&opts(Transport::Tcp, 0, None)),
            Err(DemoError::Usage(_))
        ));
        assert!(check(&opts(Transport::Tcp, 4000, Some(536))).is_ok());
    }

    #[test]
    fn filter_keeps_fragments_and_neighbour_discovery() {
        let f = capture_filter(Transport::Udp);
        assert!(f.starts_with("udp or arp or icmp or icmp6"));
        assert!(f.contains("ip[6:2] & 0x3fff != 0"));
        assert!(f.contains("ip6[6] == 44"));
    }
}
