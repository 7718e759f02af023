use super::compensated::{dot_u16, dot_u16_portable};
use super::*;
use crate::mdp::generate;

#[test]
fn two_state_closed_form() {
    // One action: V = (I − γP)^{-1} r, solved by hand for P = [[.5,.5],[0,1]], r = [1, 0].
    let p = Array3::from_shape_vec((2, 1, 2), vec![0.5, 0.5, 0.0, 1.0]).unwrap();
    let r = Array2::from_shape_vec((2, 1), vec![1.0, 0.0]).unwrap();
    let mdp = TabularMdp::dense(p, r).unwrap();
    let (v, c) = evaluate(&mdp, 0.9, &TabularPolicy::uniform(2, 1)).unwrap();
    assert!((v[0] - 1.0 / 0.55).abs() < 1e-12 && v[1].abs() < 1e-12, "{v:?}");
    assert!(c.value_error < 1e-12);
}

#[test]
fn solvers_agree_and_bounds_hold() {
    for seed in 0..4 {
        let mdp = generate::dirichlet(12, 3, 0.5, seed).unwrap();
        let gamma = 0.9;
        let pi = policy_iteration(&mdp, gamma, 100).unwrap();
        assert!(pi.converged);
        let exact = evaluate(&mdp, gamma, &TabularPolicy::deterministic(&pi.policy, 3)).unwrap().0;
        for sweep in [SweepOrder::Jacobi, SweepOrder::GaussSeidel] {
            let vi = value_iteration(&mdp, gamma, &ViOptions { stop: Stop::Certified(1e-6), max_iter: 10_000, sweep })
                .unwrap();
            let err = sup_diff(&vi.v, &exact);
            assert!(err <= vi.certificate.value_error, "{sweep:?}: {err} > {}", vi.certificate.value_error);
            assert!(vi.certificate.value_error < 1e-6);
        }
        let mpi = modified_policy_iteration(&mdp, gamma, 5, 1e-7, 10_000).unwrap();
        assert!(sup_diff(&mpi.v, &exact) <= mpi.certificate.value_error);
        let lp = linear_program(&mdp, gamma).unwrap();
        assert!(sup_diff(&lp.v, &exact) <= lp.certificate.value_error, "{}", lp.certificate.statement);
        assert!(sup_diff(&lp.v, &exact) < 1e-5);
        assert_eq!(mpi.policy, pi.policy);
    }
}

#[test]
fn gauss_seidel_needs_fewer_sweeps() {
    let mdp = generate::dirichlet(30, 4, 1.0, 9).unwrap();
    let o = |sweep| ViOptions { stop: Stop::Certified(1e-8), max_iter: 100_000, sweep };
    let j = value_iteration(&mdp, 0.95, &o(SweepOrder::Jacobi)).unwrap();
    let g = value_iteration(&mdp, 0.95, &o(SweepOrder::GaussSeidel)).unwrap();
    assert!(g.iterations < j.iterations, "{} vs {}", g.iterations, j.iterations);
}

#[test]
fn compensated_storage_is_certified_against_the_f64_model() {
    let mdp = generate::uniform_dense(60, 4, 5).unwrap();
    let cm = CompensatedMdp::new(&mdp).unwrap();
    let gamma = 0.97;
    let (f, stats) = value_iteration_compensated(&cm, &mdp, gamma, Stop::Certified(1e-9), 100_000).unwrap();
    assert!(stats.rebase_sweeps >= 1 && stats.rebase_sweeps < 10, "{stats:?}");
    let pi = policy_iteration(&mdp, gamma, 100).unwrap();
    let err = sup_diff(&f.v, &pi.v);
    assert!(err <= f.certificate.value_error, "{err} > {}", f.certificate.statement);
    assert!(f.certificate.value_error < 1e-9);
}

#[test]
fn u16_dot_has_the_same_bits_on_every_path() {
    for n in [0usize, 5, 16, 31, 500, 513] {
        let q: Vec<u16> = (0..n).map(|i| (i * 7919 % 65536) as u16).collect();
        let d: Vec<f32> = (0..n).map(|i| ((i as f64 * 0.37).sin() * 1e-3) as f32).collect();
        let portable = dot_u16_portable(&q, &d);
        assert_eq!(dot_u16(&q, &d).to_bits(), portable.to_bits(), "n = {n}");
        // The error bound the storage certificate uses: (⌈n/32⌉ + 3)·2^-24·Σ|q d|.
        let naive: f64 = q.iter().zip(&d).map(|(a, b)| *a as f64 * *b as f64).sum();
        let mass: f64 = q.iter().zip(&d).map(|(a, b)| (*a as f64 * *b as f64).abs()).sum();
        assert!((portable - naive).abs() <= (n.div_ceil(32) as f64 + 3.0) * 6e-8 * mass + 1e-300, "n = {n}");
    }
}

#[test]
fn iterative_and_exact_evaluation_agree() {
    let mdp = generate::dirichlet(10, 3, 1.0, 1).unwrap();
    let pi = TabularPolicy::uniform(10, 3);
    let (a, ca) = evaluate(&mdp, 0.8, &pi).unwrap();
    let (b, cb) = evaluate_iterative(&mdp, 0.8, &pi, Stop::Certified(1e-10), 10_000).unwrap();
    assert!(sup_diff(&a, &b) <= ca.value_error + cb.value_error);
}

#[test]
fn backward_induction_matches_enumeration() {
    // Enumerate every deterministic non-stationary policy on a 2-state, 2-action, H = 3 MDP.
    let mdp = generate::dirichlet(2, 2, 1.0, 4).unwrap();
    let h = 3;
    let bi = backward_induction(&mdp, h).unwrap();
    let mut best = f64::NEG_INFINITY;
    for code in 0..(1u32 << (h * 2)) {
        let mut pi = Array3::zeros((h, 2, 2));
        for step in 0..h {
            for s in 0..2 {
                pi[[step, s, ((code >> (step * 2 + s)) & 1) as usize]] = 1.0;
            }
        }
        let v = evaluate_finite(&mdp, &pi).unwrap();
        best = best.max(v[[0, 0]]);
    }
    assert!((best - bi.v[[0, 0]]).abs() <= bi.certificate.value_error.max(1e-14));
}

#[test]
fn bad_parameters_name_the_field() {
    let mdp = generate::dirichlet(3, 2, 1.0, 1).unwrap();
    assert!(
        value_iteration(&mdp, 0.9, &ViOptions { max_iter: 0, ..Default::default() })
            .unwrap_err()
            .to_string()
            .contains("max_iter = 0")
    );
    let other = generate::uniform_dense(3, 2, 9).unwrap();
    let cm = CompensatedMdp::new(&other).unwrap();
    let m3 = generate::uniform_dense(3, 2, 10).unwrap();
    assert!(
        value_iteration_compensated(&cm, &m3, 0.9, Stop::Residual(1e-6), 10)
            .unwrap_err()
            .to_string()
            .contains("compensated model")
    );
    for g in [1.0, -0.1, f64::NAN] {
        let e = value_iteration(&mdp, g, &ViOptions::default()).unwrap_err().to_string();
        assert!(e.contains("gamma") && e.contains("[0, 1)"), "{e}");
    }
    assert!(backward_induction(&mdp, 0).unwrap_err().to_string().contains("horizon = 0"));
    let e = value_iteration(&mdp, 0.9, &ViOptions { stop: Stop::Residual(0.0), ..Default::default() })
        .unwrap_err()
        .to_string();
    assert!(e.contains("stop.residual"), "{e}");
    let e = evaluate(&mdp, 0.9, &TabularPolicy::uniform(3, 3)).unwrap_err().to_string();
    assert!(e.contains("policy = shape (3, 3)"), "{e}");
}
