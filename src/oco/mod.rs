//! Online convex optimisation primitives shared by the OCO settings: convex domains with exact
//! Euclidean projections, mirror maps with their Bregman divergences and mirror steps.
//!
//! - [`Domain`]: Euclidean ball, box, probability simplex, ℓ1 ball — membership, diameter and
//!   exact projection (the simplex and ℓ1 projections by sorting, Duchi et al. 2008);
//! - [`MirrorMap`]: Euclidean ψ = ½‖x‖² and entropic ψ = Σ x log x (on the simplex), with
//!   `bregman` and the mirror step argmin_x η⟨g, x⟩ + D_ψ(x, y) on the domain.

use crate::error::{ModelError, bad};

/// A convex, compact domain in ℝ^d.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Domain {
    /// {x : ‖x‖₂ ≤ radius}
    Ball { dim: usize, radius: f64 },
    /// {x : lo ≤ x_i ≤ hi}
    Box { dim: usize, lo: f64, hi: f64 },
    /// {x ≥ 0 : Σ x_i = 1}
    Simplex { dim: usize },
    /// {x : ‖x‖₁ ≤ radius}
    L1Ball { dim: usize, radius: f64 },
}

impl Domain {
    /// Checks the parameters: a non-empty, bounded domain.
    pub fn new(d: Domain) -> Result<Domain, ModelError> {
        let (dim, ok, field, value, what) = match &d {
            Domain::Ball { dim, radius } => (
                *dim,
                *radius > 0.0 && radius.is_finite(),
                "radius",
                radius.to_string(),
                "(0, ∞) (a ball needs a positive, finite radius)",
            ),
            Domain::L1Ball { dim, radius } => {
                (*dim, *radius > 0.0 && radius.is_finite(), "radius", radius.to_string(), "(0, ∞)")
            }
            Domain::Box { dim, lo, hi } => (
                *dim,
                lo.is_finite() && hi.is_finite() && lo < hi,
                "lo/hi",
                format!("{lo}/{hi}"),
                "finite with lo < hi (the box must be bounded and have an interior)",
            ),
            Domain::Simplex { dim } => (*dim, true, "dim", String::new(), ""),
        };
        if dim == 0 || dim > 1 << 20 {
            return Err(bad("dim", dim, "the dimension of the domain", "1 ..= 2^20"));
        }
        if !ok {
            return Err(bad(field, value, "the domain's size", what));
        }
        Ok(d)
    }

    pub fn dim(&self) -> usize {
        match *self {
            Domain::Ball { dim, .. }
            | Domain::Box { dim, .. }
            | Domain::Simplex { dim }
            | Domain::L1Ball { dim, .. } => dim,
        }
    }

    /// The Euclidean diameter.
    pub fn diameter(&self) -> f64 {
        match *self {
            Domain::Ball { radius, .. } => 2.0 * radius,
            Domain::Box { dim, lo, hi } => (hi - lo) * (dim as f64).sqrt(),
            Domain::Simplex { dim } => {
                if dim > 1 {
                    2f64.sqrt()
                } else {
                    0.0
                }
            }
            Domain::L1Ball { radius, .. } => 2.0 * radius,
        }
    }

    /// A point of the domain to start from (its centre).
    pub fn centre(&self) -> Vec<f64> {
        match *self {
            Domain::Ball { dim, .. } | Domain::L1Ball { dim, .. } => vec![0.0; dim],
            Domain::Box { dim, lo, hi } => vec![0.5 * (lo + hi); dim],
            Domain::Simplex { dim } => vec![1.0 / dim as f64; dim],
        }
    }

    /// Membership up to `tol`.
    pub fn contains(&self, x: &[f64], tol: f64) -> bool {
        match *self {
            Domain::Ball { radius, .. } => norm2(x) <= radius + tol,
            Domain::Box { lo, hi, .. } => x.iter().all(|&v| v >= lo - tol && v <= hi + tol),
            Domain::Simplex { .. } => {
                x.iter().all(|&v| v >= -tol) && (x.iter().sum::<f64>() - 1.0).abs() <= tol * x.len() as f64
            }
            Domain::L1Ball { radius, .. } => x.iter().map(|v| v.abs()).sum::<f64>() <= radius + tol,
        }
    }

    /// The exact Euclidean projection of `x` (in place).
    pub fn project(&self, x: &mut [f64]) {
        match *self {
            Domain::Ball { radius, .. } => {
                let n = norm2(x);
                if n > radius {
                    x.iter_mut().for_each(|v| *v *= radius / n);
                }
            }
            Domain::Box { lo, hi, .. } => x.iter_mut().for_each(|v| *v = v.clamp(lo, hi)),
            Domain::Simplex { .. } => project_simplex(x, 1.0),
            Domain::L1Ball { radius, .. } => {
                if x.iter().map(|v| v.abs()).sum::<f64>() > radius {
                    let signs: Vec<f64> = x.iter().map(|v| v.signum()).collect();
                    x.iter_mut().for_each(|v| *v = v.abs());
                    project_simplex(x, radius);
                    x.iter_mut().zip(signs).for_each(|(v, s)| *v *= s);
                }
            }
        }
    }

    /// The largest Euclidean norm of a point of the domain.
    pub fn max_norm(&self) -> f64 {
        match *self {
            Domain::Ball { radius, .. } | Domain::L1Ball { radius, .. } => radius,
            Domain::Box { dim, lo, hi } => lo.abs().max(hi.abs()) * (dim as f64).sqrt(),
            Domain::Simplex { .. } => 1.0,
        }
    }

    /// sup_{x ∈ X} ‖x − c‖², exactly: a convex function is largest at an extreme point, which for
    /// the box is the corner farthest from c coordinate by coordinate and for the simplex and the
    /// ℓ1 ball one of its vertices.
    pub fn max_dist_sq(&self, c: &[f64]) -> f64 {
        match *self {
            Domain::Ball { radius, .. } => (radius + norm2(c)).powi(2),
            Domain::Box { lo, hi, .. } => c.iter().map(|&v| (lo - v).powi(2).max((hi - v).powi(2))).sum(),
            Domain::Simplex { .. } => {
                let sq: f64 = c.iter().map(|v| v * v).sum();
                c.iter().map(|&v| sq - v * v + (1.0 - v).powi(2)).fold(f64::NEG_INFINITY, f64::max)
            }
            Domain::L1Ball { radius, .. } => {
                let sq: f64 = c.iter().map(|v| v * v).sum();
                c.iter().map(|&v| sq - v * v + (radius + v.abs()).powi(2)).fold(f64::NEG_INFINITY, f64::max)
            }
        }
    }

    /// The linear minimisation oracle: a point of argmin_{x ∈ X} ⟨v, x⟩, in closed form (ties go
    /// to the lowest coordinate; v = 0 gives the centre on the ball).
    pub fn lmo(&self, v: &[f64], out: &mut [f64]) {
        match *self {
            Domain::Ball { radius, .. } => {
                let n = norm2(v);
                for (o, &g) in out.iter_mut().zip(v) {
                    *o = if n > 0.0 { -radius * g / n } else { 0.0 };
                }
            }
            Domain::Box { lo, hi, .. } => out.iter_mut().zip(v).for_each(|(o, &g)| *o = if g > 0.0 { lo } else { hi }),
            Domain::Simplex { .. } | Domain::L1Ball { .. } => {
                let score = |g: f64| if matches!(self, Domain::Simplex { .. }) { g } else { -g.abs() };
                let mut best = 0;
                for (i, &g) in v.iter().enumerate() {
                    if score(g) < score(v[best]) {
                        best = i;
                    }
                }
                out.iter_mut().for_each(|o| *o = 0.0);
                out[best] = match *self {
                    Domain::L1Ball { radius, .. } => -radius * v[best].signum(),
                    _ => 1.0,
                };
            }
        }
    }
}

/// Minimises a convex, `l`-smooth h over `dom` from the warm start `x` (overwritten with the
/// result) by accelerated projected gradient (FISTA, Beck & Teboulle 2009, with O'Donoghue &
/// Candès' gradient restart). The stopping rule is a certificate: the Frank–Wolfe gap
/// ⟨∇h(x), x − s⟩ with s = LMO(∇h(x)) bounds h(x) − min h from above by convexity. Stops once the
/// gap is ≤ `tol`·max(1, ‖∇h(x)‖·D) (relative, so that rounding in the gap, about
/// ε‖∇h‖D√d, never keeps it from stopping) or after `max_iter` iterations; returns the gap of
/// the returned point.
pub fn minimise(
    dom: &Domain,
    l: f64,
    x: &mut [f64],
    mut grad: impl FnMut(&[f64], &mut [f64]),
    tol: f64,
    max_iter: usize,
) -> f64 {
    let d = x.len();
    dom.project(x);
    let (mut y, mut prev, mut g, mut s) = (x.to_vec(), x.to_vec(), vec![0.0; d], vec![0.0; d]);
    let step = if l > 0.0 { 1.0 / l } else { 1.0 };
    let mut theta = 1.0f64;
    let diam = dom.diameter();
    let gap_at = |x: &[f64], g: &mut [f64], s: &mut [f64], grad: &mut dyn FnMut(&[f64], &mut [f64])| {
        grad(x, g);
        dom.lmo(g, s);
        let gap = g.iter().zip(x).zip(s.iter()).map(|((gi, xi), si)| gi * (xi - si)).sum::<f64>().max(0.0);
        (gap, tol * (norm2(g) * diam).max(1.0))
    };
    let (mut gap, mut limit) = gap_at(x, &mut g, &mut s, &mut grad);
    let mut it = 0;
    while gap > limit && it < max_iter {
        for _ in 0..16 {
            grad(&y, &mut g);
            prev.copy_from_slice(x);
            for ((xi, yi), gi) in x.iter_mut().zip(&y).zip(&g) {
                *xi = yi - step * gi;
            }
            dom.project(x);
            let next = 0.5 * (1.0 + (1.0 + 4.0 * theta * theta).sqrt());
            // Restart the momentum when it points uphill.
            let uphill: f64 = g.iter().zip(x.iter()).zip(&prev).map(|((gi, xi), pi)| gi * (xi - pi)).sum();
            let beta = if uphill > 0.0 {
                theta = 1.0;
                0.0
            } else {
                let b = (theta - 1.0) / next;
                theta = next;
                b
            };
            for ((yi, xi), pi) in y.iter_mut().zip(x.iter()).zip(&prev) {
                *yi = xi + beta * (xi - pi);
            }
            it += 1;
        }
        (gap, limit) = gap_at(x, &mut g, &mut s, &mut grad);
    }
    gap
}

pub fn norm2(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Projection onto {x ≥ 0 : Σx = z} by sorting (Held et al. 1974; Duchi et al. 2008): O(d log d).
pub fn project_simplex(x: &mut [f64], z: f64) {
    let mut u: Vec<f64> = x.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let (mut cum, mut theta) = (0.0, 0.0);
    for (j, &v) in u.iter().enumerate() {
        cum += v;
        let t = (cum - z) / (j as f64 + 1.0);
        if v - t > 0.0 {
            theta = t;
        }
    }
    x.iter_mut().for_each(|v| *v = (*v - theta).max(0.0));
}

/// A mirror map ψ on a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorMap {
    /// ψ(x) = ½‖x‖²: D_ψ(x, y) = ½‖x − y‖², steps are projected gradient steps.
    Euclidean,
    /// ψ(x) = Σ x_i log x_i on the simplex: D_ψ = KL, steps are multiplicative (Hedge).
    Entropic,
}

impl MirrorMap {
    /// D_ψ(x, y).
    pub fn bregman(&self, x: &[f64], y: &[f64]) -> f64 {
        match self {
            MirrorMap::Euclidean => 0.5 * x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(),
            MirrorMap::Entropic => {
                x.iter().zip(y).map(|(&a, &b)| if a > 0.0 { a * (a / b).ln() - a + b } else { b }).sum::<f64>().max(0.0)
            }
        }
    }

    /// argmin_{x ∈ domain} η⟨g, x⟩ + D_ψ(x, y), written into `out`.
    pub fn step(&self, domain: &Domain, y: &[f64], g: &[f64], eta: f64, out: &mut [f64]) {
        match self {
            MirrorMap::Euclidean => {
                for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
                    *o = a - eta * b;
                }
                domain.project(out);
            }
            MirrorMap::Entropic => {
                // The KL projection onto the simplex is a normalisation; computed in log space.
                let m = y.iter().zip(g).map(|(&a, &b)| a.ln() - eta * b).fold(f64::NEG_INFINITY, f64::max);
                let mut z = 0.0;
                for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
                    *o = (a.ln() - eta * b - m).exp();
                    z += *o;
                }
                out.iter_mut().for_each(|o| *o /= z);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn domains(d: usize) -> Vec<Domain> {
        vec![
            Domain::Ball { dim: d, radius: 1.5 },
            Domain::Box { dim: d, lo: -0.5, hi: 1.0 },
            Domain::Simplex { dim: d },
            Domain::L1Ball { dim: d, radius: 2.0 },
        ]
    }

    #[test]
    fn hand_computed_projections() {
        let mut x = vec![0.5, 0.5, 2.0];
        project_simplex(&mut x, 1.0);
        assert_eq!(x, vec![0.0, 0.0, 1.0]);
        let mut x = vec![0.6, 0.6];
        project_simplex(&mut x, 1.0);
        assert!((x[0] - 0.5).abs() < 1e-15 && (x[1] - 0.5).abs() < 1e-15);
        let mut x = vec![3.0, 4.0];
        Domain::Ball { dim: 2, radius: 1.0 }.project(&mut x);
        assert!((x[0] - 0.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15);
        let mut x = vec![3.0, -1.0];
        Domain::L1Ball { dim: 2, radius: 2.0 }.project(&mut x);
        assert!((x[0] - 2.0).abs() < 1e-15 && x[1].abs() < 1e-15, "{x:?}");
    }

    #[test]
    fn entropic_steps_are_hedge() {
        let d = Domain::Simplex { dim: 3 };
        let mut x = d.centre();
        let losses = [[0.2, 0.9, 0.4], [0.7, 0.1, 0.3], [0.5, 0.5, 0.0]];
        let mut cum = [0.0; 3];
        for l in losses {
            let mut out = vec![0.0; 3];
            MirrorMap::Entropic.step(&d, &x, &l, 0.8, &mut out);
            x = out;
            for i in 0..3 {
                cum[i] += l[i];
            }
            let w: Vec<f64> = cum.iter().map(|c| (-0.8 * c).exp()).collect();
            let z: f64 = w.iter().sum();
            for i in 0..3 {
                assert!((x[i] - w[i] / z).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn bad_domains_name_the_field() {
        assert!(Domain::new(Domain::Ball { dim: 2, radius: 0.0 }).unwrap_err().to_string().contains("radius"));
        assert!(Domain::new(Domain::Box { dim: 2, lo: 1.0, hi: 0.0 }).unwrap_err().to_string().contains("lo/hi"));
        assert!(
            Domain::new(Domain::Box { dim: 2, lo: f64::NEG_INFINITY, hi: 0.0 })
                .unwrap_err()
                .to_string()
                .contains("bounded")
        );
        assert!(Domain::new(Domain::Simplex { dim: 0 }).unwrap_err().to_string().contains("dim = 0"));
    }

    proptest! {
        /// Projections land in the set, are idempotent and non-expansive.
        #[test]
        fn projections_are_in_set_idempotent_and_nonexpansive(x in prop::collection::vec(-3.0f64..3.0, 5), y in prop::collection::vec(-3.0f64..3.0, 5)) {
            for d in domains(5) {
                let (mut px, mut py) = (x.clone(), y.clone());
                d.project(&mut px);
                d.project(&mut py);
                prop_assert!(d.contains(&px, 1e-12), "{:?} {:?}", d, px);
                let mut again = px.clone();
                d.project(&mut again);
                for (a, b) in again.iter().zip(&px) {
                    prop_assert!((a - b).abs() < 1e-12);
                }
                let dist = |a: &[f64], b: &[f64]| norm2(&a.iter().zip(b).map(|(p, q)| p - q).collect::<Vec<_>>());
                prop_assert!(dist(&px, &py) <= dist(&x, &y) + 1e-12);
            }
        }

        /// The linear minimisation oracle lands in the set and beats every projected point;
        /// sup ‖x − c‖² is an upper bound on every projected point's and reached by one.
        #[test]
        fn lmo_and_farthest_distance_are_extreme(v in prop::collection::vec(-3.0f64..3.0, 5), c in prop::collection::vec(-2.0f64..2.0, 5), ys in prop::collection::vec(prop::collection::vec(-3.0f64..3.0, 5), 20)) {
            for d in domains(5) {
                let mut s = vec![0.0; 5];
                d.lmo(&v, &mut s);
                prop_assert!(d.contains(&s, 1e-12), "{:?} {:?}", d, s);
                let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
                let far = d.max_dist_sq(&c);
                for y in &ys {
                    let mut p = y.clone();
                    d.project(&mut p);
                    prop_assert!(dot(&v, &s) <= dot(&v, &p) + 1e-12);
                    prop_assert!(p.iter().zip(&c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() <= far + 1e-9);
                }
                // Reached: at −R·c/‖c‖ on the ball, the far corner of the box, a vertex of the
                // simplex or of the ℓ1 ball.
                let candidates: Vec<Vec<f64>> = match d {
                    Domain::Ball { radius, .. } => vec![c.iter().map(|x| -radius * x / norm2(&c)).collect()],
                    Domain::Box { lo, hi, .. } => vec![c.iter().map(|&x| if (lo - x).abs() > (hi - x).abs() { lo } else { hi }).collect()],
                    Domain::Simplex { .. } => (0..5).map(|k| (0..5).map(|j| if j == k { 1.0 } else { 0.0 }).collect()).collect(),
                    Domain::L1Ball { radius, .. } => (0..10).map(|k| (0..5).map(|j| if j == k / 2 { if k % 2 == 0 { radius } else { -radius } } else { 0.0 }).collect()).collect(),
                };
                let best = candidates.iter().map(|p| p.iter().zip(&c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()).fold(0.0, f64::max);
                prop_assert!((best - far).abs() <= 1e-9 * far.max(1.0), "{:?}: {} vs {}", d, best, far);
            }
        }

        /// Bregman divergences are ≥ 0 and zero exactly on the diagonal.
        #[test]
        fn bregman_is_nonnegative_and_zero_only_on_the_diagonal(a in prop::collection::vec(0.01f64..1.0, 4), b in prop::collection::vec(0.01f64..1.0, 4)) {
            let norm = |v: &[f64]| { let s: f64 = v.iter().sum(); v.iter().map(|x| x / s).collect::<Vec<_>>() };
            let (p, q) = (norm(&a), norm(&b));
            for m in [MirrorMap::Euclidean, MirrorMap::Entropic] {
                let dpq = m.bregman(&p, &q);
                prop_assert!(dpq >= 0.0);
                prop_assert!(m.bregman(&p, &p).abs() < 1e-15);
                if p.iter().zip(&q).any(|(x, y)| (x - y).abs() > 1e-6) {
                    prop_assert!(dpq > 0.0);
                }
            }
        }
    }
}
