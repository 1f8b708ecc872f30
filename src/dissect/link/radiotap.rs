//! Radiotap (LINKTYPE_IEEE802_11_RADIOTAP, 127): the radio metadata a
//! monitor-mode capture puts before each 802.11 frame, and Wireshark's
//! `wlan_radio` summary derived from it (PHY, rate, channel, signal).
//!
//! The header is a version, a length and a chain of 32-bit "present"
//! bitmaps (bit 31: another word follows; bit 29: the next word restarts
//! the radiotap namespace; bit 30: a vendor namespace follows). Each
//! present field sits at its natural alignment from the header's start.
//! An unknown bit ends the walk (its size is unknown), as in Wireshark.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// Most present words walked; real headers use a handful.
const MAX_WORDS: usize = 32;

/// Where each field Wireshark shows sits (offsets from the frame start);
/// for fields that repeat per namespace (signal, antenna), every occurrence.
#[derive(Default, Debug)]
pub struct Radiotap {
    pub len: usize,
    /// (offset, value, starts a radiotap namespace) per present word.
    pub words: arrayvec::ArrayVec<(usize, u32, bool), MAX_WORDS>,
    pub tsft: Option<usize>,
    pub flags: Option<usize>,
    pub rate: Option<usize>,
    pub channel: Option<usize>,
    pub antsignal: arrayvec::ArrayVec<usize, 8>,
    pub antnoise: arrayvec::ArrayVec<usize, 8>,
    pub quality: Option<usize>,
    pub txpower: Option<usize>,
    pub antenna: arrayvec::ArrayVec<usize, 8>,
    pub db_antsignal: Option<usize>,
    pub db_antnoise: Option<usize>,
    pub rxflags: Option<usize>,
    pub txflags: Option<usize>,
    pub data_retries: Option<usize>,
    pub mcs: Option<usize>,
    pub vht: bool,
    pub he: bool,
    /// The walk stopped early (a field past the header's length).
    pub cut: bool,
}

/// Alignment and size of radiotap-namespace field `bit`; None when unknown.
fn layout(bit: u32) -> Option<(usize, usize)> {
    Some(match bit {
        0 => (8, 8),   // TSFT
        1 => (1, 1),   // flags
        2 => (1, 1),   // rate
        3 => (2, 4),   // channel
        4 => (1, 2),   // FHSS
        5 => (1, 1),   // dBm antenna signal
        6 => (1, 1),   // dBm antenna noise
        7 => (2, 2),   // lock quality
        8 => (2, 2),   // TX attenuation
        9 => (2, 2),   // dB TX attenuation
        10 => (1, 1),  // dBm TX power
        11 => (1, 1),  // antenna
        12 => (1, 1),  // dB antenna signal
        13 => (1, 1),  // dB antenna noise
        14 => (2, 2),  // RX flags
        15 => (2, 2),  // TX flags
        16 => (1, 1),  // RTS retries
        17 => (1, 1),  // data retries
        18 => (4, 8),  // XChannel
        19 => (1, 3),  // MCS
        20 => (4, 8),  // A-MPDU status
        21 => (2, 12), // VHT
        22 => (8, 12), // timestamp
        23 => (2, 12), // HE
        24 => (2, 12), // HE-MU
        25 => (2, 6),  // HE-MU other user
        26 => (1, 1),  // 0-length PSDU
        27 => (2, 4),  // L-SIG
        _ => return None,
    })
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl Radiotap {
    /// Walks the header at `o` in `data`; None when even the fixed 8 bytes
    /// are missing.
    pub fn parse(data: &[u8], o: usize) -> Option<Radiotap> {
        let b = data.get(o..)?;
        let len = le16(b, 2)? as usize;
        le32(b, 4)?;
        let mut rt = Radiotap {
            len,
            ..Default::default()
        };
        // The header's own bytes, clipped to what was captured.
        let hdr = &b[..len.min(b.len())];
        // Present words.
        let mut at = 4;
        let mut ns_start = true;
        loop {
            let Some(w) = le32(hdr, at) else {
                rt.cut = true;
                return Some(rt);
            };
            if rt.words.try_push((o + at, w, ns_start)).is_err() {
                rt.cut = true;
                return Some(rt);
            }
            ns_start = w & (1 << 29) != 0;
            at += 4;
            if w & (1 << 31) == 0 {
                break;
            }
        }
        // Fields, namespace by namespace.
        let mut pos = at;
        let mut ns_radiotap = true;
        let mut continuation = false;
        let words = rt.words.clone();
        'words: for &(_, w, starts) in &words {
            if starts {
                ns_radiotap = true;
                continuation = false;
            }
            if ns_radiotap && !continuation {
                for bit in 0..29u32 {
                    if w & (1 << bit) == 0 {
                        continue;
                    }
                    let Some((align, size)) = layout(bit) else {
                        break 'words;
                    };
                    pos = pos.div_ceil(align) * align;
                    if pos + size > hdr.len() {
                        rt.cut = true;
                        break 'words;
                    }
                    let abs = o + pos;
                    match bit {
                        0 => rt.tsft = Some(abs),
                        1 => rt.flags = Some(abs),
                        2 => rt.rate = Some(abs),
                        3 => rt.channel = Some(abs),
                        5 => {
                            let _ = rt.antsignal.try_push(abs);
                        }
                        6 => {
                            let _ = rt.antnoise.try_push(abs);
                        }
                        7 => rt.quality = Some(abs),
                        10 => rt.txpower = Some(abs),
                        11 => {
                            let _ = rt.antenna.try_push(abs);
                        }
                        12 => rt.db_antsignal = Some(abs),
                        13 => rt.db_antnoise = Some(abs),
                        14 => rt.rxflags = Some(abs),
                        15 => rt.txflags = Some(abs),
                        17 => rt.data_retries = Some(abs),
                        19 => rt.mcs = Some(abs),
                        21 => rt.vht = true,
                        23 => rt.he = true,
                        _ => {}
                    }
                    pos += size;
                }
            } else if ns_radiotap && continuation && w & 0x1fff_ffff != 0 {
                // Bits 32 and up of the radiotap namespace are undefined.
                break;
            }
            // A vendor namespace: 6 bytes (OUI, sub-namespace, skip length),
            // then its data, skipped whole.
            if w & (1 << 30) != 0 {
                pos = pos.div_ceil(2) * 2;
                let Some(skip) = le16(hdr, pos + 4) else {
                    rt.cut = true;
                    break;
                };
                pos += 6 + skip as usize;
                ns_radiotap = false;
            }
            continuation = true;
        }
        Some(rt)
    }

    /// The flags byte (FCS at end, short preamble, …).
    pub fn flags_byte(&self, data: &[u8]) -> Option<u8> {
        self.flags.and_then(|a| data.get(a).copied())
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let data = cx.data();
    let Some(rt) = Radiotap::parse(data, off) else {
        let end = cx.limit;
        cx.push(Proto::Radiotap, off, end, end);
        cx.short(Proto::Radiotap, "radiotap header cut short");
        return Next::Done;
    };
    let end = off + rt.len;
    if end > cx.limit || rt.len < 8 {
        let lim = cx.limit;
        cx.push(Proto::Radiotap, off, lim, lim);
        cx.short(Proto::Radiotap, "radiotap header longer than the frame");
        return Next::Done;
    }
    if !cx.push(Proto::Radiotap, off, end, cx.limit) {
        return Next::Done;
    }
    if !cx.push(Proto::WlanRadio, end, end, cx.limit) {
        return Next::Done;
    }
    if end >= cx.limit {
        // No 802.11 bytes left: named anyway, as tshark does.
        cx.push(Proto::Wlan, end, end, end);
        cx.short(Proto::Wlan, "802.11 header missing");
        return Next::Done;
    }
    Next::Proto(Proto::Wlan, end)
}

const PRESENT: [&str; 29] = [
    "radiotap.present.tsft",
    "radiotap.present.flags",
    "radiotap.present.rate",
    "radiotap.present.channel",
    "radiotap.present.fhss",
    "radiotap.present.dbm_antsignal",
    "radiotap.present.dbm_antnoise",
    "radiotap.present.lock_quality",
    "radiotap.present.tx_attenuation",
    "radiotap.present.db_tx_attenuation",
    "radiotap.present.dbm_tx_power",
    "radiotap.present.antenna",
    "radiotap.present.db_antsignal",
    "radiotap.present.db_antnoise",
    "radiotap.present.rxflags",
    "radiotap.present.txflags",
    "",
    "radiotap.present.data_retries",
    "radiotap.present.xchannel",
    "radiotap.present.mcs",
    "radiotap.present.ampdu",
    "radiotap.present.vht",
    "radiotap.present.timestamp",
    "radiotap.present.he",
    "radiotap.present.he_mu",
    "",
    "radiotap.present.0_length.psdu",
    "radiotap.present.l_sig",
    "radiotap.present.tlv",
];

const FLAG_BITS: [(&str, &str); 8] = [
    ("radiotap.flags.cfp", "CFP"),
    ("radiotap.flags.preamble", "Preamble"),
    ("radiotap.flags.wep", "WEP"),
    ("radiotap.flags.frag", "Fragmentation"),
    ("radiotap.flags.fcs", "FCS at end"),
    ("radiotap.flags.datapad", "Data Pad"),
    ("radiotap.flags.badfcs", "Bad FCS"),
    ("radiotap.flags.shortgi", "Short GI"),
];

const CHAN_BITS: [(&str, &str, u16); 15] = [
    ("radiotap.channel.flags.700mhz", "700 MHz spectrum", 0x1),
    ("radiotap.channel.flags.800mhz", "800 MHz spectrum", 0x2),
    ("radiotap.channel.flags.900mhz", "900 MHz spectrum", 0x4),
    ("radiotap.channel.flags.turbo", "Turbo", 0x10),
    ("radiotap.channel.flags.cck", "CCK", 0x20),
    ("radiotap.channel.flags.ofdm", "OFDM", 0x40),
    ("radiotap.channel.flags.2ghz", "2 GHz spectrum", 0x80),
    ("radiotap.channel.flags.5ghz", "5 GHz spectrum", 0x100),
    ("radiotap.channel.flags.passive", "Passive", 0x200),
    ("radiotap.channel.flags.dynamic", "Dynamic CCK-OFDM", 0x400),
    ("radiotap.channel.flags.gfsk", "GFSK", 0x800),
    ("radiotap.channel.flags.gsm", "GSM (900MHz)", 0x1000),
    ("radiotap.channel.flags.sturbo", "Static Turbo", 0x2000),
    ("radiotap.channel.flags.half", "Half Rate Channel", 0x4000),
    (
        "radiotap.channel.flags.quarter",
        "Quarter Rate Channel",
        0x8000,
    ),
];

const MCS_KNOWN: [(&str, &str); 7] = [
    ("radiotap.mcs.have_bw", "Bandwidth"),
    ("radiotap.mcs.have_index", "MCS index"),
    ("radiotap.mcs.have_gi", "Guard interval"),
    ("radiotap.mcs.have_format", "Format"),
    ("radiotap.mcs.have_fec", "FEC type"),
    ("radiotap.mcs.have_stbc", "STBC known"),
    ("radiotap.mcs.have_ness", "Ness known"),
];

/// Data bits per OFDM symbol of one HT spatial stream, MCS 0-7, 20 and 40 MHz.
const HT_DBPS: [[u32; 8]; 2] = [
    [26, 52, 78, 104, 156, 208, 234, 260],
    [54, 108, 162, 216, 324, 432, 486, 540],
];

/// An HT rate in Mb/s as Wireshark computes it (MCS 0-31, equal modulation),
/// rounded to a float's six significant digits.
pub fn ht_rate(mcs: u8, bw40: bool, short_gi: bool) -> Option<f64> {
    if mcs > 31 {
        return None;
    }
    let nss = (mcs / 8 + 1) as f64;
    let dbps = HT_DBPS[bw40 as usize][(mcs % 8) as usize] as f64;
    let r = dbps * nss / if short_gi { 3.6 } else { 4.0 };
    Some(round6(r))
}

/// A value as a C `float` prints with six significant digits.
pub fn round6(v: f64) -> f64 {
    let v = v as f32 as f64;
    format!("{v:.5e}").parse().unwrap_or(v)
}

/// The HT rate of the MCS field (known, flags, index), if it names one.
fn mcs_rate(b: &[u8]) -> Option<f64> {
    let (known, flags, index) = (b[0], b[1], b[2]);
    if known & 0x2 == 0 {
        return None;
    }
    let bw40 = known & 0x1 != 0 && flags & 3 == 1;
    let sgi = known & 0x4 != 0 && flags & 0x4 != 0;
    ht_rate(index, bw40, sgi)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = pkt.data;
    let Some(rt) = Radiotap::parse(d, o) else {
        return;
    };
    out.layer("radiotap", "Radiotap Header", l.header());
    let r = |a: usize, n: usize| a..a + n;
    if let Some(&v) = d.get(o) {
        out.put(
            "radiotap.version",
            "Header revision",
            Value::U(v as u64),
            r(o, 1),
        );
    }
    if let Some(&v) = d.get(o + 1) {
        out.put(
            "radiotap.pad",
            "Header pad",
            Value::U(v as u64),
            r(o + 1, 1),
        );
    }
    out.put(
        "radiotap.length",
        "Header length",
        Value::U(rt.len as u64),
        r(o + 2, 2),
    );
    if d.get(o) != Some(&0) {
        // Only revision 0 is defined; Wireshark shows no fields of others.
        return;
    }
    for &(at, w, starts) in &rt.words {
        out.put(
            "radiotap.present.word",
            "Present flags word",
            Value::Hex(w as u64, 8),
            r(at, 4),
        );
        if starts {
            for (bit, name) in PRESENT.iter().enumerate() {
                if !name.is_empty() {
                    out.put(name, "Present", Value::Bool(w & (1 << bit) != 0), r(at, 4));
                }
            }
        }
        for (bit, name, label) in [
            (29, "radiotap.present.rtap_ns", "Radiotap NS next"),
            (30, "radiotap.present.vendor_ns", "Vendor NS next"),
            (31, "radiotap.present.ext", "Ext"),
        ] {
            out.put(name, label, Value::Bool(w & (1 << bit) != 0), r(at, 4));
        }
    }
    if let Some(v) = rt.tsft.and_then(|a| le64(d, a)) {
        out.put(
            "radiotap.mactime",
            "MAC timestamp",
            Value::U(v),
            r(rt.tsft.unwrap_or(0), 8),
        );
    }
    if let Some(a) = rt.flags {
        let f = d[a];
        out.put("radiotap.flags", "Flags", Value::Hex(f as u64, 2), r(a, 1));
        for (i, (name, label)) in FLAG_BITS.iter().enumerate() {
            out.put(name, label, Value::Bool(f & (1 << i) != 0), r(a, 1));
        }
    }
    if let Some(a) = rt.rate {
        out.put(
            "radiotap.datarate",
            "Data rate (Mb/s)",
            Value::Float(d[a] as f64 * 0.5),
            r(a, 1),
        );
    }
    if let Some(a) = rt.channel {
        let (freq, fl) = (le16(d, a).unwrap_or(0), le16(d, a + 2).unwrap_or(0));
        out.put(
            "radiotap.channel.freq",
            "Channel frequency",
            Value::U(freq as u64),
            r(a, 2),
        );
        out.put(
            "radiotap.channel.flags",
            "Channel flags",
            Value::Hex(fl as u64, 4),
            r(a + 2, 2),
        );
        for (name, label, m) in CHAN_BITS {
            out.put(name, label, Value::Bool(fl & m != 0), r(a + 2, 2));
        }
    }
    for &a in &rt.antsignal {
        out.put(
            "radiotap.dbm_antsignal",
            "Antenna signal",
            Value::I(d[a] as i8 as i64),
            r(a, 1),
        );
    }
    for &a in &rt.antnoise {
        out.put(
            "radiotap.dbm_antnoise",
            "Antenna noise",
            Value::I(d[a] as i8 as i64),
            r(a, 1),
        );
    }
    if let Some(a) = rt.quality {
        let v = le16(d, a).unwrap_or(0);
        out.put(
            "radiotap.quality",
            "Signal Quality",
            Value::U(v as u64),
            r(a, 2),
        );
    }
    if let Some(a) = rt.txpower {
        out.put(
            "radiotap.txpower",
            "Transmit power",
            Value::I(d[a] as i8 as i64),
            r(a, 1),
        );
    }
    for &a in &rt.antenna {
        out.put(
            "radiotap.antenna",
            "Antenna",
            Value::U(d[a] as u64),
            r(a, 1),
        );
    }
    if let Some(a) = rt.db_antsignal {
        out.put(
            "radiotap.db_antsignal",
            "dB antenna signal",
            Value::U(d[a] as u64),
            r(a, 1),
        );
    }
    if let Some(a) = rt.db_antnoise {
        out.put(
            "radiotap.db_antnoise",
            "dB antenna noise",
            Value::U(d[a] as u64),
            r(a, 1),
        );
    }
    if let Some(a) = rt.rxflags {
        let v = le16(d, a).unwrap_or(0);
        out.put(
            "radiotap.rxflags",
            "RX flags",
            Value::Hex(v as u64, 4),
            r(a, 2),
        );
        out.put(
            "radiotap.rxflags.badplcp",
            "Bad PLCP",
            Value::Bool(v & 2 != 0),
            r(a, 2),
        );
    }
    if let Some(a) = rt.txflags {
        let v = le16(d, a).unwrap_or(0);
        out.put(
            "radiotap.txflags",
            "TX flags",
            Value::Hex(v as u64, 4),
            r(a, 2),
        );
    }
    if let Some(a) = rt.data_retries {
        out.put(
            "radiotap.data_retries",
            "Data retries",
            Value::U(d[a] as u64),
            r(a, 1),
        );
    }
    if let Some(a) = rt.mcs {
        let (known, flags, index) = (d[a], d[a + 1], d[a + 2]);
        out.put(
            "radiotap.mcs.known",
            "Known MCS information",
            Value::Hex(known as u64, 2),
            r(a, 1),
        );
        for (i, (name, label)) in MCS_KNOWN.iter().enumerate() {
            out.put(name, label, Value::Bool(known & (1 << i) != 0), r(a, 1));
        }
        let f = r(a + 1, 1);
        if known & 0x1 != 0 {
            out.put(
                "radiotap.mcs.bw",
                "Bandwidth",
                Value::U((flags & 3) as u64),
                f.clone(),
            );
        }
        if known & 0x4 != 0 {
            out.put(
                "radiotap.mcs.gi",
                "Guard interval",
                Value::U(((flags >> 2) & 1) as u64),
                f.clone(),
            );
        }
        if known & 0x8 != 0 {
            out.put(
                "radiotap.mcs.format",
                "HT format",
                Value::U(((flags >> 3) & 1) as u64),
                f.clone(),
            );
        }
        if known & 0x10 != 0 {
            out.put(
                "radiotap.mcs.fec",
                "FEC type",
                Value::U(((flags >> 4) & 1) as u64),
                f.clone(),
            );
        }
        if known & 0x20 != 0 {
            out.put(
                "radiotap.mcs.stbc",
                "STBC streams",
                Value::U(((flags >> 5) & 3) as u64),
                f,
            );
        }
        if known & 0x2 != 0 {
            out.put(
                "radiotap.mcs.index",
                "MCS index",
                Value::U(index as u64),
                r(a + 2, 1),
            );
            if let Some(rate) = mcs_rate(&d[a..a + 3]) {
                out.put(
                    "radiotap.datarate",
                    "Data rate (Mb/s)",
                    Value::Float(rate),
                    r(a, 3),
                );
            }
        }
    }
}

/// Channel number of a frequency in MHz, as Wireshark's ieee80211_mhz_to_chan.
pub fn channel_of(mhz: u32) -> Option<u32> {
    match mhz {
        2412..=2472 => Some((mhz - 2407) / 5),
        2484 => Some(14),
        4910..=4980 => Some((mhz - 4000) / 5),
        5000..=5925 => Some((mhz - 5000) / 5),
        _ => None,
    }
}

/// An HT MCS: index, then bandwidth, short GI and STBC streams when known.
pub type Mcs = (u8, Option<u8>, Option<bool>, Option<u8>);

/// What a radio header says, in the units `wlan_radio` shows.
#[derive(Default)]
pub struct Summary {
    pub phy: Option<u32>,
    pub short_preamble: Option<bool>,
    pub mcs: Option<Mcs>,
    pub rate: Option<f64>,
    pub freq: Option<u32>,
    pub signal: Option<i64>,
    pub noise: Option<i64>,
    pub tsf: Option<u64>,
}

impl Summary {
    pub fn emit(&self, out: &mut dyn FieldSink) {
        let g = 0..0;
        if let Some(p) = self.phy {
            out.put("wlan_radio.phy", "PHY type", Value::U(p as u64), g.clone());
        }
        if let Some(sp) = self.short_preamble {
            out.put(
                "wlan_radio.short_preamble",
                "Short preamble",
                Value::Bool(sp),
                g.clone(),
            );
        }
        if let Some((idx, bw, sgi, stbc)) = self.mcs {
            out.put(
                "wlan_radio.11n.mcs_index",
                "MCS index",
                Value::U(idx as u64),
                g.clone(),
            );
            if let Some(bw) = bw {
                out.put(
                    "wlan_radio.11n.bandwidth",
                    "Bandwidth",
                    Value::U(bw as u64),
                    g.clone(),
                );
            }
            if let Some(s) = sgi {
                out.put(
                    "wlan_radio.11n.short_gi",
                    "Short GI",
                    Value::Bool(s),
                    g.clone(),
                );
            }
            if let Some(s) = stbc {
                out.put(
                    "wlan_radio.11n.stbc_streams",
                    "Number of STBC streams",
                    Value::U(s as u64),
                    g.clone(),
                );
            }
        }
        if let Some(r) = self.rate {
            out.put(
                "wlan_radio.data_rate",
                "Data rate",
                Value::Float(r),
                g.clone(),
            );
        }
        if let Some(f) = self.freq {
            if let Some(c) = channel_of(f) {
                out.put(
                    "wlan_radio.channel",
                    "Channel",
                    Value::U(c as u64),
                    g.clone(),
                );
            }
            out.put(
                "wlan_radio.frequency",
                "Frequency",
                Value::U(f as u64),
                g.clone(),
            );
        }
        if let Some(s) = self.signal {
            out.put(
                "wlan_radio.signal_dbm",
                "Signal strength (dBm)",
                Value::I(s),
                g.clone(),
            );
        }
        if let Some(n) = self.noise {
            out.put(
                "wlan_radio.noise_dbm",
                "Noise level (dBm)",
                Value::I(n),
                g.clone(),
            );
        }
        if let (Some(s), Some(n)) = (self.signal, self.noise) {
            out.put(
                "wlan_radio.snr",
                "Signal/noise ratio (dB)",
                Value::I(s - n),
                g.clone(),
            );
        }
        if let Some(t) = self.tsf {
            out.put("wlan_radio.timestamp", "TSF timestamp", Value::U(t), g);
        }
    }
}

/// PHY type numbers of Wireshark's `wlan_radio.phy`.
pub mod phy {
    pub const B: u32 = 4;
    pub const A: u32 = 5;
    pub const G: u32 = 6;
    pub const N: u32 = 7;
    pub const AC: u32 = 8;
    pub const AX: u32 = 11;
}

/// `wlan_radio` from a radiotap header.
pub fn radiotap_summary(d: &[u8], rt: &Radiotap, out: &mut dyn FieldSink) {
    let mut s = Summary::default();
    let chan = rt
        .channel
        .map(|a| (le16(d, a).unwrap_or(0) as u32, le16(d, a + 2).unwrap_or(0)));
    let legacy_rate = rt.rate.map(|a| d[a]);
    s.phy = if rt.he {
        Some(phy::AX)
    } else if rt.vht {
        Some(phy::AC)
    } else if rt.mcs.is_some() {
        Some(phy::N)
    } else if let Some((_, fl)) = chan {
        if fl & 0x20 != 0 {
            Some(phy::B)
        } else if fl & 0x40 != 0 && fl & 0x100 != 0 {
            Some(phy::A)
        } else if fl & 0x40 != 0 || fl & 0x400 != 0 {
            Some(phy::G)
        } else {
            None
        }
    } else {
        legacy_rate
            .filter(|r| matches!(r, 2 | 4 | 11 | 22))
            .map(|_| phy::B)
    };
    let flags = rt.flags_byte(d);
    if s.phy == Some(phy::B) {
        s.short_preamble = flags.map(|f| f & 0x2 != 0);
    }
    if let Some(a) = rt.mcs {
        let (known, fl, idx) = (d[a], d[a + 1], d[a + 2]);
        if known & 0x2 != 0 {
            s.mcs = Some((
                idx,
                (known & 1 != 0).then_some(fl & 3),
                (known & 4 != 0).then_some(fl & 4 != 0),
                (known & 0x20 != 0).then_some((fl >> 5) & 3),
            ));
            s.rate = mcs_rate(&d[a..a + 3]);
        }
    }
    if s.rate.is_none() && !rt.he {
        s.rate = legacy_rate.map(|r| r as f64 * 0.5);
    }
    s.freq = chan.map(|c| c.0).filter(|&f| f != 0);
    s.signal = rt.antsignal.last().map(|&a| d[a] as i8 as i64);
    s.noise = rt.antnoise.last().map(|&a| d[a] as i8 as i64);
    s.tsf = rt.tsft.and_then(|a| le64(d, a));
    s.emit(out);
}

pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("radiotap.version", Uint, "Header revision"),
        f("radiotap.pad", Uint, "Header pad"),
        f("radiotap.length", Uint, "Header length"),
        f("radiotap.present.word", Uint, "Present flags word"),
        f("radiotap.present.tsft", Bool, "TSFT"),
        f("radiotap.present.flags", Bool, "Flags"),
        f("radiotap.present.rate", Bool, "Rate"),
        f("radiotap.present.channel", Bool, "Channel"),
        f("radiotap.present.fhss", Bool, "FHSS"),
        f("radiotap.present.dbm_antsignal", Bool, "dBm Antenna Signal"),
        f("radiotap.present.dbm_antnoise", Bool, "dBm Antenna Noise"),
        f("radiotap.present.lock_quality", Bool, "Lock Quality"),
        f("radiotap.present.tx_attenuation", Bool, "TX Attenuation"),
        f(
            "radiotap.present.db_tx_attenuation",
            Bool,
            "dB TX Attenuation",
        ),
        f("radiotap.present.dbm_tx_power", Bool, "dBm TX Power"),
        f("radiotap.present.antenna", Bool, "Antenna"),
        f("radiotap.present.db_antsignal", Bool, "dB Antenna Signal"),
        f("radiotap.present.db_antnoise", Bool, "dB Antenna Noise"),
        f("radiotap.present.rxflags", Bool, "RX flags"),
        f("radiotap.present.txflags", Bool, "TX flags"),
        f("radiotap.present.data_retries", Bool, "data retries"),
        f("radiotap.present.xchannel", Bool, "Channel+"),
        f("radiotap.present.mcs", Bool, "MCS information"),
        f("radiotap.present.ampdu", Bool, "A-MPDU Status"),
        f("radiotap.present.vht", Bool, "VHT information"),
        f("radiotap.present.timestamp", Bool, "frame timestamp"),
        f("radiotap.present.he", Bool, "HE information"),
        f("radiotap.present.he_mu", Bool, "HE-MU information"),
        f("radiotap.present.0_length.psdu", Bool, "0 Length PSDU"),
        f("radiotap.present.l_sig", Bool, "L-SIG"),
        f("radiotap.present.tlv", Bool, "TLVs"),
        f("radiotap.present.rtap_ns", Bool, "Radiotap NS next"),
        f("radiotap.present.vendor_ns", Bool, "Vendor NS next"),
        f("radiotap.present.ext", Bool, "Ext"),
        f("radiotap.mactime", Uint, "MAC timestamp"),
        f("radiotap.flags", Uint, "Flags"),
        f("radiotap.flags.cfp", Bool, "CFP"),
        f("radiotap.flags.preamble", Bool, "Preamble"),
        f("radiotap.flags.wep", Bool, "WEP"),
        f("radiotap.flags.frag", Bool, "Fragmentation"),
        f("radiotap.flags.fcs", Bool, "FCS at end"),
        f("radiotap.flags.datapad", Bool, "Data Pad"),
        f("radiotap.flags.badfcs", Bool, "Bad FCS"),
        f("radiotap.flags.shortgi", Bool, "Short GI"),
        f("radiotap.datarate", Float, "Data rate (Mb/s)"),
        f("radiotap.channel.freq", Uint, "Channel frequency"),
        f("radiotap.channel.flags", Uint, "Channel flags"),
        f("radiotap.channel.flags.700mhz", Bool, "700 MHz spectrum"),
        f("radiotap.channel.flags.800mhz", Bool, "800 MHz spectrum"),
        f("radiotap.channel.flags.900mhz", Bool, "900 MHz spectrum"),
        f("radiotap.channel.flags.turbo", Bool, "Turbo"),
        f(
            "radiotap.channel.flags.cck",
            Bool,
            "Complementary Code Keying (CCK)",
        ),
        f(
            "radiotap.channel.flags.ofdm",
            Bool,
            "Orthogonal Frequency-Division Multiplexing (OFDM)",
        ),
        f("radiotap.channel.flags.2ghz", Bool, "2 GHz spectrum"),
        f("radiotap.channel.flags.5ghz", Bool, "5 GHz spectrum"),
        f("radiotap.channel.flags.passive", Bool, "Passive"),
        f("radiotap.channel.flags.dynamic", Bool, "Dynamic CCK-OFDM"),
        f(
            "radiotap.channel.flags.gfsk",
            Bool,
            "Gaussian Frequency Shift Keying (GFSK)",
        ),
        f("radiotap.channel.flags.gsm", Bool, "GSM (900MHz)"),
        f("radiotap.channel.flags.sturbo", Bool, "Static Turbo"),
        f(
            "radiotap.channel.flags.half",
            Bool,
            "Half Rate Channel (10MHz Channel Width)",
        ),
        f(
            "radiotap.channel.flags.quarter",
            Bool,
            "Quarter Rate Channel (5MHz Channel Width)",
        ),
        f("radiotap.dbm_antsignal", Int, "Antenna signal"),
        f("radiotap.dbm_antnoise", Int, "Antenna noise"),
        f("radiotap.quality", Uint, "Signal Quality"),
        f("radiotap.txpower", Int, "Transmit power"),
        f("radiotap.antenna", Uint, "Antenna"),
        f("radiotap.db_antsignal", Uint, "dB antenna signal"),
        f("radiotap.db_antnoise", Uint, "dB antenna noise"),
        f("radiotap.rxflags", Uint, "RX flags"),
        f("radiotap.rxflags.badplcp", Bool, "Bad PLCP"),
        f("radiotap.txflags", Uint, "TX flags"),
        f("radiotap.data_retries", Uint, "Data retries"),
        f("radiotap.mcs.known", Uint, "Known MCS information"),
        f("radiotap.mcs.have_bw", Bool, "Bandwidth"),
        f("radiotap.mcs.have_index", Bool, "MCS index"),
        f("radiotap.mcs.have_gi", Bool, "Guard interval"),
        f("radiotap.mcs.have_format", Bool, "Format"),
        f("radiotap.mcs.have_fec", Bool, "FEC type"),
        f("radiotap.mcs.have_stbc", Bool, "STBC known"),
        f("radiotap.mcs.have_ness", Bool, "Ness known"),
        f("radiotap.mcs.bw", Uint, "Bandwidth"),
        f("radiotap.mcs.gi", Uint, "Guard interval"),
        f("radiotap.mcs.format", Uint, "HT format"),
        f("radiotap.mcs.fec", Uint, "FEC type"),
        f("radiotap.mcs.stbc", Uint, "STBC streams"),
        f("radiotap.mcs.index", Uint, "MCS index"),
    ]
};

pub const RADIO_FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("wlan_radio.phy", Uint, "PHY type"),
        f("wlan_radio.short_preamble", Bool, "Short preamble"),
        f("wlan_radio.11n.mcs_index", Uint, "MCS index"),
        f("wlan_radio.11n.bandwidth", Uint, "Bandwidth"),
        f("wlan_radio.11n.short_gi", Bool, "Short GI"),
        f(
            "wlan_radio.11n.stbc_streams",
            Uint,
            "Number of STBC streams",
        ),
        f("wlan_radio.data_rate", Float, "Data rate"),
        f("wlan_radio.channel", Uint, "Channel"),
        f("wlan_radio.frequency", Uint, "Frequency"),
        f("wlan_radio.signal_dbm", Int, "Signal strength (dBm)"),
        f("wlan_radio.noise_dbm", Int, "Noise level (dBm)"),
        f("wlan_radio.snr", Int, "Signal/noise ratio (dB)"),
        f("wlan_radio.timestamp", Uint, "TSF timestamp"),
    ]
};

/// Radiotap: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "radiotap",
        name: "Radiotap",
        display: "Radiotap",
        short: "Radiotap",
        tier: Tier::Link,
        reached: &[Reach::LinkType(127)],
        dissect,
        fields,
        info: None,
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
