//! Fuzz target: `layerscope::fuzz::capture_file` (built and run by scripts/fuzz.sh).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        layerscope::fuzz::capture_file(data);
    });
}
