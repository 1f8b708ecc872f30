//! Fuzz target: `layerscope::fuzz::display_filter` (built and run by scripts/fuzz.sh).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        layerscope::fuzz::display_filter(data);
    });
}
