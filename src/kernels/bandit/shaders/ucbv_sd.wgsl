
struct F32 { m: u32, e: i32 }
// Rounds v 2^e (v > 0, any width, with `sticky` set when nonzero bits were dropped below v) to
// 24 significant bits, to nearest, ties to even.
fn f_round(v: u64, e: i32, sticky: bool) -> F32 {
    let b = 64u - countLeadingZeros(u32(v >> 32u)) - select(0u, countLeadingZeros(u32(v)), (v >> 32u) == 0lu);
    if (b <= 24u) {
        return F32(u32(v) << (24u - b), e - i32(24u - b));
    }
    let sh = b - 24u;
    var m = v >> sh;
    let low = v & ((1lu << sh) - 1lu);
    let half = 1lu << (sh - 1u);
    if (low > half || (low == half && (sticky || (m & 1lu) == 1lu))) {
        m = m + 1lu;
    }
    if (m == (1lu << 24u)) {
        return F32(1u << 23u, e + i32(sh) + 1);
    }
    return F32(u32(m), e + i32(sh));
}
// floor(sqrt(x)) for x < 2^52: an f32 estimate, then exact integer corrections.
fn isqrt(x: u64) -> u64 {
    var q = u64(sqrt(f32(u32(x >> 20u)) * 1048576.0));
    while (q * q > x) {
        q = q - 1lu;
    }
    while ((q + 1lu) * (q + 1lu) <= x) {
        q = q + 1lu;
    }
    return q;
}
fn f_sqrt(a: F32) -> F32 {
    // an even exponent, then 26 more bits: sqrt(m 2^26 2^(e - 26)) = sqrt(M) 2^((e - 26) / 2)
    let odd = (a.e & 1) != 0;
    let m = select(u64(a.m), u64(a.m) << 1u, odd);
    let e = select(a.e, a.e - 1, odd);
    let big = m << 26u;
    let q = isqrt(big);
    return f_round(q, (e - 26) / 2, q * q != big);
}
fn f_mul(a: F32, b: F32) -> F32 {
    return f_round(u64(a.m) * u64(b.m), a.e + b.e, false);
}
fn f_div(a: F32, b: F32) -> F32 {
    let num = u64(a.m) << 26u;
    let q = num / u64(b.m);
    return f_round(q, a.e - 26 - b.e, q * u64(b.m) != num);
}
fn ucbv_sd(n: u32, s: u32) -> u32 {
    let x = u64(s) * u64(n - s);
    if (x == 0lu) {
        return 0u;
    }
    let v = f_sqrt(f_round(x, 0, false));
    let nf = f_round(u64(n), 0, false);
    let q = f_div(F32(v.m, v.e + 32), f_mul(nf, f_sqrt(nf)));
    // truncation of min(q, 4294967040): q is an f32, so below 2^32 it is at most that bound
    if (q.e >= 0) {
        if (q.e >= 9) {
            return 4294967040u;
        }
        let w = u64(q.m) << u32(q.e);
        return select(u32(w), 4294967040u, w >= 4294967296lu);
    }
    if (q.e <= -24) {
        return 0u;
    }
    return q.m >> u32(-q.e);
}
