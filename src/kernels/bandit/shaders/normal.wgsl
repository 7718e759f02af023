
@group(0) @binding(8) var<storage, read> ztab: array<i32>;
fn normal_q24(w: u32) -> i32 {
    let up = w >= 0x80000000u;
    let v = select(w, ~w, up);
    let e = max(firstLeadingBit(v | 1u), 10u);
    let sh = e - 10u;
    let idx = ((e - 10u) << 10u) + (v >> sh);
    let a = ztab[idx];
    let d = i64(ztab[idx + 1u] - a);
    let g = a + i32((d * i64(v & ((1u << sh) - 1u))) >> sh);
    return select(-g, g, up);
}
