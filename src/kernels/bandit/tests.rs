use super::lanes::lanes;
use super::*;
use crate::engine::default_grid;
use crate::rng::cell_key;

fn run_both(means: &[f64], t: u64, rule: FixedRule, reps: usize, seed: u64) {
    let arms: Vec<Arm> = means.iter().map(|&p| Arm::Bernoulli { p }).collect();
    let kern = FixedKernel::new(&arms, t, rule, cell_key(seed, 1));
    let grid = default_grid(t);
    let mut a = vec![Trace::new(3, grid.len()); reps];
    let mut b = a.clone();
    kern.run_scalar(5, &grid, &mut a);
    kern.run_block(KernelChoice::Auto, 5, &grid, &mut b);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.values, y.values);
        assert_eq!(x.finals, y.finals);
    }
    // and a lane width no dispatch uses (4) agrees too (lanes take no arm of mean 1)
    if kern.full.iter().any(|&f| f != 0) {
        return;
    }
    let mut c = vec![Trace::new(3, grid.len()); reps];
    match rule {
        FixedRule::Ucb1 { .. } => lanes::<64, 4, Ucb1Rule>(&kern, 5, &grid, &mut c),
        FixedRule::Moss => lanes::<64, 4, MossRule>(&kern, 5, &grid, &mut c),
        FixedRule::UcbV { .. } => lanes::<64, 4, UcbVRule>(&kern, 5, &grid, &mut c),
        FixedRule::Etc { .. } => lanes::<64, 4, EtcRule>(&kern, 5, &grid, &mut c),
        FixedRule::EpsGreedy { .. } => lanes::<64, 4, EpsRule>(&kern, 5, &grid, &mut c),
        FixedRule::KlUcb { .. } => lanes::<64, 4, KlUcbRule>(&kern, 5, &grid, &mut c),
        FixedRule::Thompson { .. } => return,
    }
    for (x, y) in a.iter().zip(&c) {
        assert_eq!(x.values, y.values);
        assert_eq!(x.finals, y.finals);
    }
}

#[test]
fn lanes_equal_scalar_b1() {
    let b1 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
    run_both(&b1, 2000, FixedRule::Ucb1 { alpha: 2.0 }, 67, 1);
    run_both(&b1, 2000, FixedRule::Moss, 67, 2);
    run_both(&b1, 2000, FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 }, 67, 2);
    run_both(&b1, 2000, FixedRule::Etc { m: 30 }, 67, 3);
    run_both(&b1, 300, FixedRule::Etc { m: 30 }, 67, 3); // commits at the horizon
    run_both(&b1, 2000, FixedRule::EpsGreedy { epsilon: Some(0.1), c: 0.0, d: 0.0, tag: 9 }, 67, 4);
    run_both(&b1, 2000, FixedRule::EpsGreedy { epsilon: None, c: 5.0, d: 0.1, tag: 9 }, 67, 5);
    run_both(&b1, 500, FixedRule::EpsGreedy { epsilon: Some(1.0), c: 0.0, d: 0.0, tag: 1 }, 35, 6);
    run_both(&b1, 2000, FixedRule::KlUcb { c: 0.0 }, 67, 7);
    run_both(&b1, 3000, FixedRule::KlUcb { c: 3.0 }, 40, 8);
}

#[test]
fn lanes_equal_scalar_odd_shapes() {
    // ties, degenerate arms, K = 2 and K = 37, horizons shorter than K
    run_both(&[0.5, 0.5], 500, FixedRule::Ucb1 { alpha: 2.0 }, 40, 3);
    run_both(&[1.0, 0.0, 0.7], 300, FixedRule::Ucb1 { alpha: 0.5 }, 19, 4);
    let many: Vec<f64> = (0..37).map(|i| (i as f64 * 0.37) % 1.0).collect();
    run_both(&many, 700, FixedRule::Moss, 33, 5);
    run_both(&many, 20, FixedRule::Ucb1 { alpha: 2.0 }, 9, 6);
    run_both(&many, 700, FixedRule::Etc { m: 3 }, 33, 7);
    run_both(&[0.5, 0.5, 0.5], 90, FixedRule::Etc { m: 10 }, 41, 8); // all tied
    run_both(&[0.5, 0.5], 500, FixedRule::KlUcb { c: 0.0 }, 40, 9);
    run_both(&[0.0, 0.0, 0.01], 800, FixedRule::KlUcb { c: 0.0 }, 40, 10); // s = 0 almost always
    run_both(&[0.999, 0.99, 1.0], 800, FixedRule::KlUcb { c: 0.0 }, 40, 11); // s = n, and an arm of mean 1
    run_both(&many, 700, FixedRule::KlUcb { c: 3.0 }, 33, 12);
    run_both(&many, 20, FixedRule::KlUcb { c: 0.0 }, 9, 13);
}

#[test]
fn every_path_records_finals_at_the_horizon_whatever_the_grid() {
    let arms: Vec<Arm> = [0.2, 0.6, 0.5].iter().map(|&p| Arm::Bernoulli { p }).collect();
    let grid = [5u64, 50]; // ends before the horizon
    for rule in [
        FixedRule::Ucb1 { alpha: 2.0 },
        FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 },
        FixedRule::Etc { m: 10 },
        FixedRule::EpsGreedy { epsilon: Some(0.1), c: 0.0, d: 0.0, tag: 2 },
        FixedRule::KlUcb { c: 0.0 },
    ] {
        let kern = FixedKernel::new(&arms, 200, rule, [4, 5]);
        let mut a = vec![Trace::new(3, grid.len()); 40];
        kern.run_scalar(0, &grid, &mut a);
        for isa in Isa::available() {
            let mut b = vec![Trace::new(3, grid.len()); 40];
            kern.run_block_on(isa, 0, &grid, &mut b);
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.values, y.values, "{rule:?} {isa:?}");
                assert_eq!(x.finals, y.finals, "{rule:?} {isa:?}");
            }
        }
        // and the finals are the horizon's: 200 pulls in total
        let opt = a[0].finals[2] * 200.0;
        assert!((opt - opt.round()).abs() < 1e-9);
    }
}

#[test]
fn lane_philox_equals_scalar_philox() {
    for (blk, r0, role, key) in
        [(0u32, 0u32, 0u32, [0u32, 0u32]), (7, 1000, 0, [0xDEAD_BEEF, 12]), (u32::MAX, u32::MAX - 3, 5, [u32::MAX; 2])]
    {
        let w = philox_lanes::<8>(blk, r0, role, key);
        for l in 0..8 {
            let want = crate::rng::philox4x32_10([blk, r0.wrapping_add(l as u32), role, 0], key);
            assert_eq!([w[0].0[l], w[1].0[l], w[2].0[l], w[3].0[l]], want);
        }
    }
}

#[test]
fn f64_mean_equals_integer_mean() {
    for n in (1..=20_000u32).chain((1u32 << 25) - 3000..(1 << 25)) {
        for s in [0, 1, n / 3, n / 2, n - 1, n, (n as u64 * 2 / 3) as u32, (n as u64 * 9 / 10) as u32] {
            assert_eq!(mean_f64::<28>(s, n), mean_q_int(s, n), "s={s} n={n}");
            assert_eq!(mean_f64::<24>(s, n), mean_int(24, s, n), "s={s} n={n}");
        }
    }
}

#[test]
fn ucb1_b_hand_values() {
    // 2^32 / 1 = 2^32 is capped at the largest f32 below 2^32
    assert_eq!(ucb1_b(1), 4_294_967_040);
    assert_eq!(ucb1_b(4), 1 << 31);
    assert_eq!(ucb1_b(16), 1 << 30);
    // sqrt_f32(2) = 1.41421354 (f32 0x3FB504F3); 2^32 / it = 3037000448 after f32 rounding
    assert_eq!(ucb1_b(2), 3_037_000_448);
    // within 2^-23 relative of the exact value for every n
    for n in 1..100_000u32 {
        let exact = 4_294_967_296.0 / (n as f64).sqrt();
        assert!(((ucb1_b(n) as f64 - exact) / exact).abs() < 2.5e-7, "n={n}");
    }
}
