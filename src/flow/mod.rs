//! Per-connection state: stream indices and TCP relative sequence numbers.
