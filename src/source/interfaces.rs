//! Interface discovery: names, state, addresses (pnet), and which ones
//! libpcap can capture on.

use std::collections::HashSet;

#[derive(Clone, Debug)]
pub struct InterfaceInfo {
    pub name: String,
    pub index: Option<u32>,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    pub mac: Option<String>,
    pub ipv4: Vec<String>,
    pub ipv6: Vec<String>,
    /// libpcap lists it as a capture device.
    pub capturable: bool,
    /// Monitor mode (rfmon) is possible; None when libpcap cannot tell.
    pub monitor: Option<bool>,
    pub description: Option<String>,
}

/// Every interface pnet sees, plus libpcap's pseudo-devices (`any`).
pub fn list() -> Vec<InterfaceInfo> {
    let pcap_devs = pcap::Device::list().unwrap_or_default();
    let capturable: HashSet<&str> = pcap_devs.iter().map(|d| d.name.as_str()).collect();
    let mut out: Vec<InterfaceInfo> = pnet_datalink::interfaces()
        .into_iter()
        .map(|i| {
            let mut ipv4 = Vec::new();
            let mut ipv6 = Vec::new();
            for net in &i.ips {
                let s = format!("{}/{}", net.ip(), net.prefix());
                if net.is_ipv4() {
                    ipv4.push(s);
                } else {
                    ipv6.push(s);
                }
            }
            InterfaceInfo {
                capturable: capturable.contains(i.name.as_str()),
                monitor: super::live::can_monitor(&i.name),
                index: Some(i.index),
                up: i.is_up(),
                running: i.is_running(),
                loopback: i.is_loopback(),
                mac: i.mac.filter(|m| !m.is_zero()).map(|m| m.to_string()),
                ipv4,
                ipv6,
                name: i.name,
                description: None,
            }
        })
        .collect();
    // libpcap pseudo-devices pnet does not know (`any`, `nflog`, ...).
    for d in &pcap_devs {
        if !out.iter().any(|i| i.name == d.name) {
            out.push(InterfaceInfo {
                name: d.name.clone(),
                index: None,
                up: d.flags.is_up(),
                running: d.flags.is_running(),
                loopback: d.flags.is_loopback(),
                mac: None,
                ipv4: Vec::new(),
                ipv6: Vec::new(),
                capturable: true,
                monitor: super::live::can_monitor(&d.name),
                description: d.desc.clone(),
            });
        }
    }
    out
}
