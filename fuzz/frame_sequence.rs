//! Fuzz target: `layerscope::fuzz::frame_sequence` (built and run by scripts/fuzz.sh).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        layerscope::fuzz::frame_sequence(data);
    });
}
