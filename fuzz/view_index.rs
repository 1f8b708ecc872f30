//! Fuzz target: `layerscope::fuzz::view_index` (built and run by scripts/fuzz.sh).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        layerscope::fuzz::view_index(data);
    });
}
