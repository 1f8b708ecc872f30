//! SSDP (UPnP discovery): HTTP/1.1 messages over UDP port 1900 (M-SEARCH,
//! NOTIFY and their responses). tshark names the layer `ssdp` and its
//! fields `http.*`; the HTTP decoder does the reading.

use crate::dissect::app::http;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto};

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    if !http::looks_like(cx.rest(off)) {
        return Next::Proto(Proto::Data, off);
    }
    // One datagram, one message: headers and any body together.
    cx.push(Proto::Ssdp, off, limit, limit);
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("ssdp", "Simple Service Discovery Protocol", l.extent());
    http::message_fields(pkt, l, out);
}

/// Simple Service Discovery Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ssdp",
        name: "Simple Service Discovery Protocol",
        display: "SSDP",
        short: "SSDP",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(1900)],
        dissect,
        fields,
        info: Some(http::info),
        pdu_len: None,
        // The same `http.*` names as HTTP: filters on them visit SSDP too.
        field_tables: &[http::FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    /// Ethernet/IPv4/UDP to port 1900 carrying `p`.
    fn udp_frame(p: &[u8]) -> Vec<u8> {
        let mut f = hex("01005e7ffffa 020000000001 0800");
        let total = (28 + p.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0,
            0,
            4,
            17,
            0,
            0,
        ]);
        f.extend_from_slice(&[10, 99, 0, 1, 239, 255, 255, 250]);
        let ul = (8 + p.len()) as u16;
        f.extend_from_slice(&[0xc0, 0x00, 0x07, 0x6c, (ul >> 8) as u8, ul as u8, 0, 0]);
        f.extend_from_slice(p);
        f
    }

    #[test]
    fn m_search_is_ssdp_with_http_fields() {
        let f = udp_frame(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:ip:udp:ssdp");
        assert_eq!(o.get("http.request.method"), "M-SEARCH");
        assert_eq!(o.get("http.request.uri"), "*");
        assert_eq!(o.get("http.host"), "239.255.255.250:1900");
        assert_eq!(o.info, "M-SEARCH * HTTP/1.1 ");
        let f = udp_frame(b"\x00\x01binary");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:ethertype:ip:udp:data");
    }
}
