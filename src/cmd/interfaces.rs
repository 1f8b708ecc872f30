//! `layerscope interfaces`: every interface, its state and addresses, and
//! whether libpcap can capture on it.

use crate::source::interfaces;
use tabled::settings::Style;
use tabled::{Table, Tabled};

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "Name")]
    name: String,
    #[tabled(rename = "Index")]
    index: String,
    #[tabled(rename = "State")]
    state: String,
    #[tabled(rename = "MAC")]
    mac: String,
    #[tabled(rename = "IPv4")]
    ipv4: String,
    #[tabled(rename = "IPv6")]
    ipv6: String,
    #[tabled(rename = "Capture")]
    capture: &'static str,
    /// Monitor mode (`capture -I`), as libpcap's pcap_can_set_rfmon says.
    #[tabled(rename = "Monitor")]
    monitor: &'static str,
}

pub fn run() -> i32 {
    let rows: Vec<Row> = interfaces::list()
        .into_iter()
        .map(|i| {
            let mut state = vec![if i.up { "up" } else { "down" }];
            if i.running {
                state.push("running");
            }
            if i.loopback {
                state.push("loopback");
            }
            Row {
                name: i.name,
                index: i.index.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
                state: state.join(","),
                mac: i.mac.unwrap_or_else(|| "-".into()),
                ipv4: if i.ipv4.is_empty() {
                    "-".into()
                } else {
                    i.ipv4.join("\n")
                },
                ipv6: if i.ipv6.is_empty() {
                    "-".into()
                } else {
                    i.ipv6.join("\n")
                },
                capture: if i.capturable { "yes" } else { "no" },
                monitor: match i.monitor {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                },
            }
        })
        .collect();
    let mut t = Table::new(rows);
    t.with(Style::sharp());
    println!("{t}");
    super::exit::OK
}
