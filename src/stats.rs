//! Summary statistics of replications: Welford accumulators, Student-t intervals, Wilson
//! intervals and quantiles.
//!
//! Accumulators are folded in replication order by the engine, so their floating-point results
//! do not depend on how the replications were scheduled.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Running mean and sum of squared deviations (Welford 1962).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Welford {
    pub n: u64,
    pub mean: f64,
    m2: f64,
}

impl Welford {
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// The state (n, mean, M2), for storing a fold and resuming it bit for bit.
    pub fn parts(&self) -> (u64, f64, f64) {
        (self.n, self.mean, self.m2)
    }

    pub fn from_parts(n: u64, mean: f64, m2: f64) -> Welford {
        Welford { n, mean, m2 }
    }

    /// Sample standard deviation (n − 1 denominator); undefined (NaN) for fewer than two
    /// values: one replication says nothing about spread, and 0 would claim certainty.
    pub fn sd(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { (self.m2 / (self.n - 1) as f64).sqrt() }
    }

    /// Standard error of the mean; NaN for fewer than two values.
    pub fn std_err(&self) -> f64 {
        self.sd() / (self.n as f64).sqrt()
    }

    /// Two-sided Student-t interval for the mean at `level` (e.g. 0.95); (NaN, NaN) for fewer
    /// than two values, where no interval exists.
    pub fn t_interval(&self, level: f64) -> (f64, f64) {
        if self.n < 2 {
            return (f64::NAN, f64::NAN);
        }
        let h = t_quantile(level, self.n) * self.std_err();
        (self.mean - h, self.mean + h)
    }
}

/// The (1+level)/2 quantile of Student's t with n − 1 degrees of freedom (0 when n < 2).
pub fn t_quantile(level: f64, n: u64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    match StudentsT::new(0.0, 1.0, (n - 1) as f64) {
        Ok(t) => t.inverse_cdf(0.5 + level / 2.0),
        Err(_) => 0.0,
    }
}

/// Wilson score interval for a binomial proportion k/n at `level`.
pub fn wilson_interval(k: u64, n: u64, level: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = statrs::distribution::Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let nf = n as f64;
    let p = k as f64 / nf;
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The q-quantile of `xs` by linear interpolation between order statistics (type 7).
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

/// [`quantile`] of values already sorted by `f64::total_cmp`.
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.push(x));
        assert_eq!(w.mean, 5.0);
        // sum of squared deviations 32, n - 1 = 7
        assert!((w.sd() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn one_value_has_no_spread_and_no_interval() {
        let mut w = Welford::default();
        w.push(3.5);
        assert!(w.sd().is_nan() && w.std_err().is_nan());
        let (lo, hi) = w.t_interval(0.95);
        assert!(lo.is_nan() && hi.is_nan(), "({lo}, {hi})");
        w.push(4.5);
        let (lo, hi) = w.t_interval(0.95);
        // two values 3.5, 4.5: sd = sqrt(0.5), se = 0.5, t_{0.975, 1} = 12.7062
        assert!((hi - lo - 2.0 * 12.7062 * 0.5).abs() < 1e-3, "({lo}, {hi})");
    }

    #[test]
    fn t_quantile_known_values() {
        // t_{0.975, 9} = 2.262157; t_{0.975, inf} -> 1.959964
        assert!((t_quantile(0.95, 10) - 2.262157).abs() < 1e-5);
        assert!((t_quantile(0.95, 1_000_000) - 1.959964).abs() < 1e-4);
    }

    #[test]
    fn wilson_known_value() {
        // k = 0 of n = 100 at 95%: upper = z^2 / (n + z^2) = 3.8415 / 103.8415 = 0.036994
        let (lo, hi) = wilson_interval(0, 100, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.036994).abs() < 1e-5);
    }

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[1.0], 0.9), 1.0);
    }
}
