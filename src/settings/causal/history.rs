//! What a learner has observed: every round's action and sample, indexed per (regime, node) —
//! node n was in regime r ∈ {0 (observational), 1 (intervened)} at round t when action a_t
//! intervened on it or not — with each pair's data window, which starts over when a change is
//! detected (the code's `T_i`).

/// The samples of one run so far.
#[derive(Clone, Debug)]
pub struct History {
    pub n: usize,
    /// Row t is X_t (N values).
    rows: Vec<f64>,
    /// `times[r][q]`: the rounds at which node q was in regime r, in order.
    times: [Vec<Vec<u32>>; 2],
    /// `start[r][q]`: the first round of pair (r, q)'s current window.
    start: [Vec<u32>; 2],
}

impl History {
    pub fn new(n: usize) -> History {
        History {
            n,
            rows: Vec::new(),
            times: [vec![Vec::new(); n], vec![Vec::new(); n]],
            start: [vec![0; n], vec![0; n]],
        }
    }

    /// Rounds observed so far.
    pub fn len(&self) -> usize {
        self.rows.len() / self.n
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Records round t's action (bit q set: node q intervened) and sample.
    pub fn push(&mut self, intervened: impl Fn(usize) -> bool, x: &[f64]) {
        let t = self.len() as u32;
        self.rows.extend_from_slice(x);
        for q in 0..self.n {
            self.times[intervened(q) as usize][q].push(t);
        }
    }

    #[inline]
    pub fn x(&self, t: u32) -> &[f64] {
        &self.rows[t as usize * self.n..(t as usize + 1) * self.n]
    }

    /// The first `cap` rounds of pair (r, q)'s window (the code's "first n_max samples since the
    /// last restart").
    pub fn window(&self, r: usize, q: usize, cap: usize) -> &[u32] {
        let all = &self.times[r][q];
        let from = all.partition_point(|&t| t < self.start[r][q]);
        &all[from..all.len().min(from.saturating_add(cap))]
    }

    /// The last `w` rounds of pair (r, q) over the whole history (the detector's view).
    pub fn last(&self, r: usize, q: usize, w: usize) -> &[u32] {
        let all = &self.times[r][q];
        &all[all.len().saturating_sub(w)..]
    }

    /// Starts pair (r, q)'s window at round `t` (that round included).
    pub fn restart(&mut self, r: usize, q: usize, t: u32) {
        self.start[r][q] = t;
    }

    /// The first round of pair (r, q)'s window.
    pub fn window_start(&self, r: usize, q: usize) -> u32 {
        self.start[r][q]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows hold the first samples since a restart, `last` the latest over all history.
    #[test]
    fn windows_and_restarts() {
        let mut h = History::new(2);
        for t in 0..10u32 {
            // node 0 intervened on even rounds, node 1 never
            h.push(|q| q == 0 && t % 2 == 0, &[t as f64, -(t as f64)]);
        }
        assert_eq!(h.window(1, 0, 3), &[0, 2, 4]);
        assert_eq!(h.window(0, 0, 100), &[1, 3, 5, 7, 9]);
        assert_eq!(h.window(0, 1, 4), &[0, 1, 2, 3]);
        assert!(h.window(1, 1, 4).is_empty());
        h.restart(1, 0, 5);
        assert_eq!(h.window(1, 0, 2), &[6, 8]);
        assert_eq!(h.last(1, 0, 2), &[6, 8]);
        assert_eq!(h.last(1, 0, 20), &[0, 2, 4, 6, 8]);
        assert_eq!(h.x(3), &[3.0, -3.0]);
    }
}
