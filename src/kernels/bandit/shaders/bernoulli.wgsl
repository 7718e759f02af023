
fn sload(j: u32) -> u32 {
    return suc[j];
}
fn sstore(j: u32, v: u32) {
    suc[j] = v;
}
fn reward(th: vec4<u32>, u: u32) -> u32 {
    return select(0u, 1u, u < th.x) | th.y;
}
fn mean(s: u32, n: u32, rn: u32) -> u32 {
    return mean_q(s, n, rn);
}
