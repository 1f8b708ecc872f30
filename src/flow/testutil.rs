//! Test helpers: frame builders, a minimal link/IP layer walker (so TCP/UDP
//! and the flow stage can be tested on their own), a field collector and a
//! classic-pcap reader.

use crate::dissect::{Field, FieldSink, Packet};
use crate::source::{Frame, Timestamp};

pub use crate::dissect::transport::tcp::{ACK, FIN, PSH, RST, SYN, URG};

pub const C4: [u8; 4] = [10, 0, 0, 1];
pub const S4: [u8; 4] = [10, 0, 0, 2];

pub fn eth_frame(payload: &[u8], ethertype: u16) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// IPv4 header (no options) followed by `payload`; `total` overrides the length field.
pub fn ip4(payload: &[u8], src: [u8; 4], dst: [u8; 4], proto: u8, total: Option<u16>) -> Vec<u8> {
    let tl = total.unwrap_or(20 + payload.len() as u16);
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&tl.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(payload);
    v
}

pub fn ip6(payload: &[u8], src_last: u8, dst_last: u8, nh: u8) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[nh, 64]);
    let mut a = [0u8; 16];
    a[0] = 0xfe;
    a[1] = 0x80;
    a[15] = src_last;
    v.extend_from_slice(&a);
    a[15] = dst_last;
    v.extend_from_slice(&a);
    v.extend_from_slice(payload);
    v
}

/// TCP segment builder; the data offset covers the options rounded down, as
/// the Python generator the tshark expectations came from does.
pub struct Seg<'a> {
    pub sp: u16,
    pub dp: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub win: u16,
    pub opts: &'a [u8],
    pub payload: &'a [u8],
    pub off: Option<u8>,
    pub urp: u16,
}

pub fn seg(sp: u16, dp: u16, seq: u32, ack: u32, flags: u16) -> Seg<'static> {
    Seg {
        sp,
        dp,
        seq,
        ack,
        flags,
        win: 1000,
        opts: &[],
        payload: &[],
        off: None,
        urp: 0,
    }
}

impl Seg<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let off = self.off.unwrap_or(((20 + self.opts.len()) / 4) as u8) as u16;
        let mut v = Vec::new();
        v.extend_from_slice(&self.sp.to_be_bytes());
        v.extend_from_slice(&self.dp.to_be_bytes());
        v.extend_from_slice(&self.seq.to_be_bytes());
        v.extend_from_slice(&self.ack.to_be_bytes());
        v.extend_from_slice(&((off << 12) | self.flags).to_be_bytes());
        v.extend_from_slice(&self.win.to_be_bytes());
        v.extend_from_slice(&0x1234u16.to_be_bytes());
        v.extend_from_slice(&self.urp.to_be_bytes());
        v.extend_from_slice(self.opts);
        v.extend_from_slice(self.payload);
        v
    }
}

pub fn udp_dgram(sp: u16, dp: u16, payload: &[u8], len: Option<u16>, csum: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&len.unwrap_or(8 + payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&csum.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Ethernet + IPv4 + TCP from `a` to `b`.
pub fn tcp4(a: [u8; 4], b: [u8; 4], s: &Seg<'_>) -> Vec<u8> {
    eth_frame(&ip4(&s.bytes(), a, b, 6, None), 0x0800)
}

/// Runs the real dissector chain over one frame.
pub fn decode(data: &[u8], wire_len: u32, linktype: u32) -> Packet<'_> {
    let frame = Frame {
        ts: Timestamp::default(),
        wire_len,
        linktype,
        interface: 0,
        ts_digits: 6,
        bytes: data,
    };
    crate::dissect::dissect(&frame, 1, Timestamp::default())
}

/// Collects (name, value) pairs as `tshark -T fields` would print them.
#[derive(Default)]
pub struct Collect(pub Vec<(String, String)>);

impl FieldSink for Collect {
    fn field(&mut self, f: &Field<'_>) {
        self.0.push((f.name.to_string(), f.value.to_string_lossy()));
    }
}

impl Collect {
    /// All values of `name`, comma-joined as tshark's `-T fields` does.
    pub fn get(&self, name: &str) -> String {
        let v: Vec<&str> = self
            .0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        v.join(",")
    }
}

pub fn fields(pkt: &Packet<'_>) -> Collect {
    let mut c = Collect::default();
    for l in &pkt.layers {
        crate::dissect::layer_fields(pkt, l, &mut c);
    }
    c
}

pub fn info(pkt: &Packet<'_>) -> String {
    let mut w = Vec::new();
    crate::dissect::info(pkt, &mut w);
    String::from_utf8_lossy(&w).into_owned()
}

/// Frames of a classic pcap file: (bytes, wire length, link type).
pub fn read_pcap(path: &str) -> Option<Vec<(Vec<u8>, u32, u32)>> {
    let d = std::fs::read(path).ok()?;
    let magic = d.get(..4)?;
    let le = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let linktype = u32_at(20)? & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= d.len() {
        let cap = u32_at(at + 8)? as usize;
        let wire = u32_at(at + 12)?;
        let body = d.get(at + 16..at + 16 + cap)?;
        out.push((body.to_vec(), wire, linktype));
        at += 16 + cap;
    }
    Some(out)
}
