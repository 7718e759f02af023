
fn sload(j: u32) -> i64 {
    let v = suc[j];
    return i64((u64(v.y) << 32u) | u64(v.x));
}
fn sstore(j: u32, s: i64) {
    let v = u64(s);
    suc[j] = vec2<u32>(u32(v & 0xfffffffflu), u32(v >> 32u));
}
fn reward(th: vec4<u32>, u: u32) -> i64 {
    let mu = i64((u64(th.y) << 32u) | u64(th.x));
    let sd = i64((u64(th.w) << 32u) | u64(th.z));
    return mu + ((sd * i64(normal_q24(u))) >> 24u);
}
fn floor_div(s: i64, n: u32) -> i64 {
    let d = i64(n);
    var q = s / d;
    if (s - q * d < 0li) {
        q = q - 1li;
    }
    return q;
}
fn mean(s: i64, n: u32, rn: u32) -> u32 {
    return u32(i32(floor_div(s, n))) ^ 0x80000000u;
}
fn ts_mean(s: i64, n: u32) -> i64 {
    return floor_div(s, n + 1u);
}
