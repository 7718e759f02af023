
fn ts_mean(s: u32, n: u32) -> i64 {
    return i64((u64(s) << 20u) / u64(n + 1u));
}
