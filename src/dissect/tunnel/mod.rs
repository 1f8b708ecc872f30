//! Tunnels: headers that carry a whole packet or frame inside another
//! packet (VXLAN, Geneve, GRE, ERSPAN, GTP-U, Teredo, PPPoE, L2TP). Each
//! decoder pushes its header and hands the inner bytes to the decoder the
//! header names; the chain then decodes the inner packet through every
//! layer. Nesting is bounded by `MAX_LAYERS`: a tunnel in a tunnel in a
//! tunnel … ends with a malformed mark.

pub mod cmd;
pub mod erspan;
pub mod geneve;
pub mod gre;
pub mod gtp;
pub mod l2tp;
pub mod nsh;
pub mod pppoe;
pub mod teredo;
pub mod vxlan;

use super::{Cx, Next, Proto};

/// Pushes a header of `len` bytes at `off`, or marks it cut short when the
/// bytes are not there. Returns the header's end when it was pushed.
pub(crate) fn header(cx: &mut Cx<'_, '_>, p: Proto, off: usize, len: usize) -> Option<usize> {
    let have = cx.rest(off).len();
    if have < len {
        cx.push(p, off, off + have, cx.limit);
        cx.short(p, "tunnel header cut short");
        return None;
    }
    cx.push(p, off, off + len, cx.limit).then_some(off + len)
}

/// What follows a header whose payload is an IP packet of either version.
pub(crate) fn ip_by_version(cx: &Cx<'_, '_>, off: usize) -> Next {
    match cx.rest(off).first().map(|b| b >> 4) {
        Some(4) => Next::Proto(Proto::Ip, off),
        Some(6) => Next::Proto(Proto::Ipv6, off),
        Some(_) => Next::Proto(Proto::Data, off),
        None => Next::Done,
    }
}

#[cfg(test)]
mod tests;
