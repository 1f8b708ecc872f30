//! Crafted tunnel loops end with a malformed mark, not a hang; checked
//! against tshark where it reads the same bytes (tests/tunnels.rs).

use crate::dissect::link::testutil::run;
use crate::dissect::{linktype, MAX_LAYERS};

/// An IPv4 header (20 bytes, checksum left zero) of protocol `proto`
/// around `inner`.
fn ip4(proto: u8, inner: &[u8]) -> Vec<u8> {
    let total = (20 + inner.len()) as u16;
    let mut v = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        proto,
        0,
        0,
    ];
    v.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    v.extend_from_slice(inner);
    v
}

#[test]
fn gre_in_gre_loop_is_cut_and_marked() {
    // IPv4/GRE(0x0800)/IPv4/GRE/… deeper than the layer cap.
    let mut p = ip4(1, &[8, 0, 0, 0, 0, 0, 0, 0]);
    for _ in 0..40 {
        let mut g = vec![0, 0, 0x08, 0x00];
        g.extend_from_slice(&p);
        p = ip4(47, &g);
    }
    let o = run(linktype::IPV4, &p, p.len());
    assert!(o.issue, "a loop past the cap is marked");
    assert_eq!(o.protocols.split(':').count(), MAX_LAYERS);
    assert!(o.protocols.starts_with("ip:gre:ip:gre"));
}

#[test]
fn ipip_loop_is_cut_and_marked() {
    let mut p = ip4(17, &[0, 1, 0, 2, 0, 8, 0, 0]);
    for _ in 0..40 {
        p = ip4(4, &p);
    }
    let o = run(linktype::IPV4, &p, p.len());
    assert!(o.issue);
    assert_eq!(o.protocols.split(':').count(), MAX_LAYERS);
    // Every cut leaves a decodable prefix, never a panic.
    for cut in 0..p.len() {
        let _ = run(linktype::IPV4, &p[..cut], p.len());
    }
}
