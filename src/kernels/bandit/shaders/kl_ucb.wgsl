@group(0) @binding(7) var<storage, read> kl_tab: array<vec2<u32>>;
fn ld64(v: vec2<u32>) -> i64 {
    return i64((u64(v.y) << 32u) | u64(v.x));
}
fn kl_g(cst: i64, n: u32, s: u32, j: u32) -> i64 {
    return cst - i64(s) * ld64(kl_tab[j]) - i64(n - s) * ld64(kl_tab[65536u - j]);
}
fn kl_index(n: u32, s: u32, mq: u32, lev: i64) -> u32 {
    if (s == n) {
        return 65536u;
    }
    let cst = ld64(kl_tab[65537u + s]) + ld64(kl_tab[65537u + n - s]) - ld64(kl_tab[65537u + n]);
    var lo = mq >> 12u;
    for (var b = 16u; b > 0u; b--) {
        let c = lo + (1u << (b - 1u));
        if (c < 65536u && kl_g(cst, n, s, c) <= lev) {
            lo = c;
        }
    }
    return lo;
}