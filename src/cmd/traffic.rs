//! `layerscope serve` and `layerscope client`.

use super::exit;
use crate::traffic::client::{self, ClientOptions};
use crate::traffic::explain::{Narrator, Role};
use crate::traffic::server::{Server, ServerOptions};

pub fn serve(opts: ServerOptions, explain: bool) -> i32 {
    let say = Narrator::new(Role::Server, explain);
    let t = opts.transport;
    let server = match Server::bind(opts, say) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return exit::INPUT;
        }
    };
    eprintln!("layerscope: {} echo server on {}", t.name(), server.local);
    match server.serve() {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("layerscope: {e}");
            exit::INPUT
        }
    }
}

pub fn client(opts: ClientOptions, explain: bool) -> i32 {
    let say = Narrator::new(Role::Client, explain);
    match client::run(&opts, &say) {
        Ok(rep) => {
            for r in &rep.replies {
                let shown = String::from_utf8_lossy(r);
                let shown = shown.trim_end_matches('\n');
                if shown.len() > 200 {
                    println!(
                        "{}… ({} bytes)",
                        &shown[..(0..=200)
                            .rev()
                            .find(|&i| shown.is_char_boundary(i))
                            .unwrap_or(0)],
                        r.len()
                    );
                } else {
                    println!("{shown}");
                }
            }
            eprintln!(
                "layerscope: sent {} bytes, received {} bytes{}",
                rep.sent,
                rep.received,
                rep.local
                    .map(|l| format!(" (local {l})"))
                    .unwrap_or_default()
            );
            if rep.unanswered > 0 {
                eprintln!(
                    "layerscope: timed out: {} of {} messages had no reply from {} within {:?}{}",
                    rep.unanswered,
                    opts.repeat,
                    opts.server,
                    opts.timeout,
                    if opts.transport == crate::traffic::Transport::Udp {
                        " (UDP does not retransmit; is an echo server listening there?)"
                    } else {
                        ""
                    }
                );
                return exit::INPUT;
            }
            if rep.replies.len() < opts.repeat as usize {
                eprintln!(
                    "layerscope: the server closed the connection after {} of {} replies",
                    rep.replies.len(),
                    opts.repeat
                );
                return exit::INPUT;
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("layerscope: {e}");
            exit::INPUT
        }
    }
}
