//! Application protocols over TCP on the real-traffic fixtures
//! (fixtures/live, see its README): the `layerscope` binary's jsonl output
//! against values printed by tshark 4.0.17 on the same files, with TCP, HTTP
//! and TLS reassembly off (`-o tcp.desegment_tcp_streams:FALSE`), as
//! layerscope decodes one segment at a time.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Per-segment decoding, as `tshark -o tcp.desegment_tcp_streams:FALSE`
/// (the expectations below were read from tshark run that way).
fn read(path: &str) -> Vec<Value> {
    read_with(path, &["--no-reassembly"])
}

fn read_with(path: &str, extra: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(["read", "--format", "jsonl"])
        .args(extra)
        .arg(path)
        .output()
        .expect("run layerscope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn live(name: &str) -> Vec<Value> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "live", name]
        .iter()
        .collect();
    read(&p.to_string_lossy())
}

/// The value of `field` in every frame that has it, as strings (arrays joined
/// by commas, as `tshark -T fields` prints them).
fn col(pkts: &[Value], field: &str) -> Vec<String> {
    pkts.iter()
        .filter_map(|p| p.get(field))
        .map(|v| match v {
            Value::Array(a) => a.iter().map(s).collect::<Vec<_>>().join(","),
            v => s(v),
        })
        .collect()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        v => v.to_string(),
    }
}

fn frame(pkts: &[Value], n: u64) -> &Value {
    pkts.iter()
        .find(|p| p["frame.number"] == n)
        .expect("frame present")
}

#[test]
fn http_requests_and_responses() {
    let p = live("http.pcap");
    assert_eq!(
        col(&p, "http.request.method"),
        ["GET", "GET", "POST", "GET", "GET"]
    );
    assert_eq!(
        col(&p, "http.request.uri"),
        ["/", "/big.txt", "/submit", "/chunked", "/missing"]
    );
    assert_eq!(col(&p, "http.host"), vec!["www.lab.test"; 5]);
    assert_eq!(col(&p, "http.user_agent"), vec!["curl/7.88.1"; 5]);
    assert_eq!(
        col(&p, "http.response.code"),
        ["200", "200", "201", "200", "404"]
    );
    assert_eq!(
        col(&p, "http.content_type"),
        [
            "text/html; charset=utf-8",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "text/plain",
            "text/plain",
            "text/plain; charset=utf-8"
        ]
    );
    assert_eq!(
        col(&p, "http.content_length"),
        ["77", "22400", "40", "60", "10"]
    );
    assert_eq!(col(&p, "http.transfer_encoding"), ["chunked"]);
    let f4 = frame(&p, 4);
    assert_eq!(f4["frame.protocols"], "eth:ethertype:ip:tcp:http");
    assert_eq!(f4["_ws.col.info"], "GET / HTTP/1.1 ");
    assert_eq!(
        s(&f4["http.request.line"]),
        r#"["Host: www.lab.test\r\n","User-Agent: curl/7.88.1\r\n","Accept: */*\r\n"]"#
    );
    assert_eq!(frame(&p, 83)["_ws.col.info"], "HTTP/1.1 404 Not Found ");
    assert_eq!(
        frame(&p, 58)["_ws.col.info"],
        "POST /submit HTTP/1.1  (application/x-www-form-urlencoded)"
    );
    // Body-only segments are continuations, as tshark without reassembly.
    assert_eq!(frame(&p, 8)["_ws.col.info"], "Continuation");
    assert_eq!(
        frame(&p, 8)["frame.protocols"],
        "eth:ethertype:ip:tcp:http:data"
    );
    assert!(p.iter().all(|x| x.get("_ws.malformed").is_none()));
}

#[test]
fn tls_hellos() {
    let p = live("tls.pcap");
    assert_eq!(
        col(&p, "tls.handshake.extensions_server_name"),
        ["www.lab.test", "www.lab.test"]
    );
    assert_eq!(
        col(&p, "tls.handshake.extensions_alpn_str"),
        ["h2,http/1.1", "http/1.1", "http/1.1"]
    );
    // ServerHello of the TLS 1.3 connection (frame 6) and the TLS 1.2 one (28).
    let sh = frame(&p, 6);
    assert_eq!(s(&sh["tls.handshake.type"]), "2");
    assert_eq!(s(&sh["tls.handshake.ciphersuite"]), "0x1302");
    assert_eq!(
        s(&sh["tls.handshake.extensions.supported_version"]),
        "0x0304"
    );
    assert_eq!(
        sh["_ws.col.info"],
        "Server Hello, Change Cipher Spec, Application Data, Application Data, Application Data, Application Data"
    );
    let sh = frame(&p, 28);
    assert_eq!(s(&sh["tls.handshake.ciphersuite"]), "0xc02c");
    assert_eq!(s(&sh["tls.handshake.version"]), "0x0303");
    assert_eq!(
        sh["_ws.col.info"],
        "Server Hello, Certificate, Server Key Exchange, Server Hello Done"
    );
    let ch = frame(&p, 4);
    assert_eq!(ch["_ws.col.info"], "Client Hello");
    assert_eq!(s(&ch["tls.handshake.cipher_suites_length"]), "62");
    assert_eq!(
        s(&ch["tls.handshake.extension.type"]),
        "[0,11,10,16,22,23,49,13,43,45,51,21]"
    );
    assert_eq!(
        s(&ch["tls.handshake.extensions.supported_version"]),
        r#"["0x0304","0x0303","0x0302","0x0301"]"#
    );
    assert_eq!(
        frame(&p, 30)["_ws.col.info"],
        "Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message"
    );
}

#[test]
fn ftp_control_connection() {
    let p = live("ftp.pcap");
    let cmds = col(&p, "ftp.request.command");
    assert_eq!(
        cmds[..13],
        [
            "USER", "PASS", "PWD", "CWD", "EPSV", "TYPE", "LIST", "EPSV", "TYPE", "SIZE", "RETR",
            "QUIT", "USER"
        ]
    );
    assert_eq!(
        col(&p, "ftp.request.arg")[..2],
        ["anonymous", "student@lab.test"]
    );
    let codes = col(&p, "ftp.response.code");
    assert_eq!(
        codes[..9],
        ["220", "331", "230", "257", "250", "229", "200", "150", "226"]
    );
    assert_eq!(col(&p, "ftp.passive.ip"), ["10.99.0.1"]);
    assert_eq!(col(&p, "ftp.passive.port"), ["30000"]);
    assert_eq!(col(&p, "ftp.epsv.port"), ["30005", "30001"]);
    assert_eq!(frame(&p, 6)["_ws.col.info"], "Request: USER anonymous");
    assert_eq!(
        frame(&p, 4)["_ws.col.info"],
        "Response: 220 layerscope fixture FTP server ready."
    );
}

#[test]
fn telnet_negotiation() {
    let p = live("telnet.pcap");
    let f = frame(&p, 4);
    assert_eq!(s(&f["telnet.cmd"]), "[251,251,253,253,253,253,253]");
    assert_eq!(s(&f["telnet.subcmd"]), "[37,38,24,32,35,39,36]");
    let f = frame(&p, 6);
    assert_eq!(s(&f["telnet.cmd"]), "[253,253,250,240,251,251,252,251,252]");
    assert_eq!(f["_ws.col.info"], "Telnet Data ...");
    assert_eq!(s(&frame(&p, 20)["telnet.data"]), "student\n");
    assert_eq!(
        s(&frame(&p, 18)["telnet.data"]),
        r#"["Debian GNU/Linux 12\r","\r\n","\r","\r\n","lab login: "]"#
    );
}

/// HTTP on port 9999 is recognised by content. The frame is built here (the
/// values are the bytes' own; tshark leaves port 9999 undecoded).
#[test]
fn http_on_odd_port() {
    let payload = b"GET /x HTTP/1.0\r\nHost: odd.test\r\n\r\n";
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 9999, 1, 1000)
        .write(&mut frame, payload)
        .unwrap();
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    for v in [0u32, 0, 65535, 1] {
        pcap.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u32, 0, frame.len() as u32, frame.len() as u32] {
        pcap.extend_from_slice(&v.to_le_bytes());
    }
    pcap.extend_from_slice(&frame);
    let path = std::env::temp_dir().join(format!("ls-app-odd-{}.pcap", std::process::id()));
    std::fs::write(&path, &pcap).unwrap();
    let p = read(&path.to_string_lossy());
    let _ = std::fs::remove_file(&path);
    assert_eq!(p[0]["frame.protocols"], "eth:ethertype:ip:tcp:http");
    assert_eq!(p[0]["http.request.method"], "GET");
    assert_eq!(p[0]["http.request.uri"], "/x");
    assert_eq!(p[0]["http.host"], "odd.test");
}

/// With reassembly (the default), each HTTP response is reported on the
/// segment that completes it, as tshark does by default:
/// `tshark -r http.pcap -T fields -e frame.number -e http.response.code`.
#[test]
fn http_responses_are_reported_where_they_complete() {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "live", "http.pcap"]
        .iter()
        .collect();
    let pkts = read_with(&p.to_string_lossy(), &[]);
    let got: Vec<(u64, String)> = pkts
        .iter()
        .filter_map(|p| {
            let code = p.get("http.response.code")?;
            let n = p.get("frame.number")?.as_u64()?;
            Some((n, code.to_string().trim_matches('"').to_string()))
        })
        .collect();
    let want: Vec<(u64, String)> = [
        (8, "200"),
        (45, "200"),
        (62, "201"),
        (80, "200"),
        (85, "404"),
    ]
    .iter()
    .map(|(n, c)| (*n, c.to_string()))
    .collect();
    assert_eq!(got, want);
}

/// The data connection a PASV/EPSV reply announces is labelled ftp-data, as
/// tshark labels frames 24, 42 and 79 of ftp.pcap (`-Y ftp-data`).
#[test]
fn ftp_data_connections_are_tied_to_their_control_connection() {
    let p = live("ftp.pcap");
    let data: Vec<u64> = p
        .iter()
        .filter(|x| {
            x.get("frame.protocols")
                .and_then(|v| v.as_str())
                .is_some_and(|s| s.split(':').any(|p| p == "ftp-data"))
        })
        .filter_map(|x| x.get("frame.number")?.as_u64())
        .collect();
    assert_eq!(data, [24, 42, 79]);
}
