#!/usr/bin/env python3
"""A small QUIC server and client built on aioquic, for recording real QUIC
traffic (scripts/record_quic.sh) and for the live QUIC test.

    quic_peer.py cert DIR                       # self-signed cert.pem/key.pem for www.lab.test
    quic_peer.py server --cert DIR --host ADDR [--port 4433] [--timeout 60]
    quic_peer.py client --host ADDR [--port 4433] [--sni www.lab.test]
                        [--alpn h3|layerscope-echo] [--quic-version 1|2]
                        [--path /] [--path /hello.txt] [--message TEXT]

The server speaks HTTP/3 (ALPN h3) and a plain echo protocol (ALPN
layerscope-echo: every bidirectional stream is sent back, prefixed with
"echo: "). It prints "listening" once its socket is bound, serves until
--timeout seconds have passed, and needs aioquic (pip install aioquic).
The client makes one connection, sends its requests one after the other,
prints each answer's first line and closes the connection cleanly. Every
wait is bounded, so nothing hangs if the other side is missing.
"""

import argparse
import asyncio
import datetime
import os
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated, StreamDataReceived
from aioquic.quic.packet import QuicProtocolVersion

ECHO_ALPN = "layerscope-echo"
SERVER_NAME = "www.lab.test"
PAGES = {
    "/": b"<html><body>Hello over HTTP/3.</body></html>\n",
    "/hello.txt": b"hello from the QUIC lab\n",
}
VERSIONS = {"1": QuicProtocolVersion.VERSION_1, "2": QuicProtocolVersion.VERSION_2}


def make_cert(directory):
    """Writes a self-signed P-256 certificate for www.lab.test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "key.pem"), "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(directory, "cert.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


class ServerProtocol(QuicConnectionProtocol):
    """HTTP/3 when h3 was negotiated, else the echo protocol."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._h3 = None

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._h3 = H3Connection(self._quic)
        if self._h3 is not None:
            for ev in self._h3.handle_event(event):
                if isinstance(ev, HeadersReceived) and ev.stream_ended:
                    path = dict(ev.headers).get(b":path", b"/").decode(errors="replace")
                    body = PAGES.get(path)
                    status = b"200" if body is not None else b"404"
                    body = body if body is not None else b"not found\n"
                    self._h3.send_headers(
                        ev.stream_id,
                        [
                            (b":status", status),
                            (b"server", b"layerscope-fixture"),
                            (b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    )
                    self._h3.send_data(ev.stream_id, body, end_stream=True)
        elif isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(
                event.stream_id, b"echo: " + event.data, end_stream=event.end_stream
            )
        self.transmit()


class ClientProtocol(QuicConnectionProtocol):
    """Sends requests and hands each answer to the future waiting for it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        alpn = self._quic.configuration.alpn_protocols or []
        self._h3 = H3Connection(self._quic) if alpn and alpn[0] in H3_ALPN else None
        self._waiting = {}
        self._bodies = {}

    def _wait(self, stream_id):
        fut = asyncio.get_running_loop().create_future()
        self._waiting[stream_id] = fut
        self._bodies[stream_id] = b""
        self.transmit()
        return asyncio.wait_for(fut, 5)

    async def get(self, path):
        sid = self._quic.get_next_available_stream_id()
        self._h3.send_headers(
            sid,
            [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":authority", SERVER_NAME.encode()),
                (b":path", path.encode()),
                (b"user-agent", b"layerscope-fixture"),
            ],
            end_stream=True,
        )
        return await self._wait(sid)

    async def echo(self, message):
        sid = self._quic.get_next_available_stream_id()
        self._quic.send_stream_data(sid, message.encode(), end_stream=True)
        return await self._wait(sid)

    def _add(self, stream_id, data, ended):
        if stream_id not in self._waiting:
            return
        self._bodies[stream_id] += data
        if ended and not self._waiting[stream_id].done():
            self._waiting[stream_id].set_result(self._bodies[stream_id])

    def quic_event_received(self, event):
        if self._h3 is not None:
            for ev in self._h3.handle_event(event):
                if isinstance(ev, HeadersReceived):
                    status = dict(ev.headers).get(b":status", b"")
                    self._add(ev.stream_id, b"status " + status + b": ", ev.stream_ended)
                elif isinstance(ev, DataReceived):
                    self._add(ev.stream_id, ev.data, ev.stream_ended)
        elif isinstance(event, StreamDataReceived):
            self._add(event.stream_id, event.data, event.end_stream)


async def run_server(args):
    config = QuicConfiguration(is_client=False, alpn_protocols=["h3", ECHO_ALPN])
    config.load_cert_chain(os.path.join(args.cert, "cert.pem"), os.path.join(args.cert, "key.pem"))
    server = await serve(args.host, args.port, configuration=config, create_protocol=ServerProtocol)
    print("listening", flush=True)
    try:
        await asyncio.sleep(args.timeout)
    finally:
        server.close()


async def run_client(args):
    version = VERSIONS[args.quic_version]
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=[args.alpn],
        server_name=args.sni,
        verify_mode=ssl.CERT_NONE,
        original_version=version,
        supported_versions=[version],
    )
    async with connect(
        args.host, args.port, configuration=config, create_protocol=ClientProtocol,
        wait_connected=True,
    ) as client:
        if args.alpn in H3_ALPN:
            for path in args.path or ["/"]:
                answer = await client.get(path)
                print(f"GET {path} -> {answer.splitlines()[0].decode(errors='replace')}", flush=True)
        else:
            for message in args.message or ["hello"]:
                answer = await client.echo(message)
                print(answer.decode(errors="replace"), flush=True)
        client.close()
        await asyncio.wait_for(client.wait_closed(), 5)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cert")
    c.add_argument("dir")
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True, help="directory holding cert.pem and key.pem")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, default=4433)
    s.add_argument("--timeout", type=float, default=60)
    k = sub.add_parser("client")
    k.add_argument("--host", required=True)
    k.add_argument("--port", type=int, default=4433)
    k.add_argument("--sni", default=SERVER_NAME)
    k.add_argument("--alpn", default="h3")
    k.add_argument("--quic-version", choices=sorted(VERSIONS), default="1")
    k.add_argument("--path", action="append")
    k.add_argument("--message", action="append")
    args = p.parse_args()
    if args.cmd == "cert":
        make_cert(args.dir)
    elif args.cmd == "server":
        asyncio.run(run_server(args))
    else:
        asyncio.run(asyncio.wait_for(run_client(args), 20))


if __name__ == "__main__":
    sys.exit(main())
