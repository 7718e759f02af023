
struct Params { reps: u32, m_begin: u32, m_end: u32, role: u32 }
// One cell's replications: invocations start.. until the next segment's start.
// pad: Thompson's round(σ 2^20).
struct Seg { key0: u32, key1: u32, first_rep: u32, start: u32, horizon: u32, explore: u32, prole: u32, a_off: u32, n_off: u32, e_off: u32, arm_off: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> cnt: array<u32>;
@group(0) @binding(2) var<storage, read_write> suc: array<SCELL>;
@group(0) @binding(3) var<storage, read> tab_a: array<u32>;
@group(0) @binding(4) var<storage, read> tab_n: array<vec2<u32>>;
// Per arm: Bernoulli (threshold, 1 if the arm always pays, 0, 0); Gaussian (μ, σ) in Q12.20 as
// i64 words (lo, hi, lo, hi).
@group(0) @binding(5) var<storage, read> arms: array<vec4<u32>>;
@group(0) @binding(6) var<storage, read> segs: array<Seg>;
BINDINGS

ARMS

// floor(s 2^28 / n) for 1 <= n < 2^25, s <= n.
fn mean_q(s: u32, n: u32, rn: u32) -> u32 {
    let sh = 4u + firstLeadingBit(n);
    let p = mul_wide(s, rn);
    var q = (p.x << (32u - sh)) | (p.y >> sh);
    let hi = s >> 4u;
    let lo = s << 28u;
    for (var i = 0u; i < 2u; i++) {
        let l = mul_wide(q + 1u, n);
        if (l.x < hi || (l.x == hi && l.y <= lo)) {
            q = q + 1u;
        }
    }
    return q;
}

// The segment of invocation i: the last whose start is <= i (segment 0 starts at 0).
fn seg_of(i: u32) -> u32 {
    var lo = 0u;
    var hi = arrayLength(&segs);
    while (hi - lo > 1u) {
        let mid = (lo + hi) / 2u;
        if (segs[mid].start <= i) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// The entry point opens here (the invocation's cell and replication); each layout's body
// continues it.
@compute @workgroup_size(WG)
fn bandit(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid;
    if (i >= P.reps) {
        return;
    }
    let R = P.reps;
    let sg = segs[seg_of(i)];
    let rep = sg.first_rep + (i - sg.start);
    let key = vec2<u32>(sg.key0, sg.key1);
    let m_end = min(P.m_end, sg.horizon);
