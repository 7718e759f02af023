//! The BestPerm oracle (Du, Srikant & Chen 2024, Lemmas 1–2 and the DP after them) and the
//! exhaustive search it replaces.
//!
//! For attraction probabilities u, item weights w and the no-click weight w_⊥, a list
//! A = (a_1, …, a_n) is worth `f(A, u, w) = Σ_i Π_{j<i}(1−u(a_j))·u(a_i)·w(a_i) + Π_j(1−u(a_j))·w_⊥`.
//! BestPerm keeps the items with w > w_⊥ in decreasing w (Lemma 1), then chooses at most m of them
//! by `F[i][k] = max{F[i+1][k], u_i w_i + (1−u_i) F[i+1][k−1]}`, `F[·][0] = F[|J|][·] = w_⊥`, and
//! backtracks: O(N log N + N m) instead of O(N^m).

/// f(A, u, w): the expected value of showing `list` (item indices into u and w).
pub fn list_value(list: &[u16], u: &[f64], w: &[f64], w_bot: f64) -> f64 {
    let mut value = 0.0;
    let mut reach = 1.0;
    for &a in list {
        let a = a as usize;
        value += reach * u[a] * w[a];
        reach *= 1.0 - u[a];
    }
    value + reach * w_bot
}

/// Reusable buffers for [`best_perm`], so the planner allocates nothing per call.
#[derive(Default, Clone, Debug)]
pub struct Scratch {
    order: Vec<u16>,
    table: Vec<f64>,
}

impl Scratch {
    /// Cells of the DP table the last call filled: (|J| + 1)(m + 1) ≤ (N + 1)(m + 1).
    pub fn table_cells(&self) -> usize {
        self.table.len()
    }
}

/// The best list of at most `m` items and its value. Ties: items of equal weight in index
/// order; at a DP tie the item is skipped (the shorter list). Lists are never empty: when no item
/// beats w_⊥ (or none has u > 0 among those that do), the single item maximising
/// u·w + (1−u)·w_⊥ is shown (lowest index on ties).
pub fn best_perm(u: &[f64], w: &[f64], w_bot: f64, m: usize, scratch: &mut Scratch, out: &mut Vec<u16>) -> f64 {
    let n = u.len().min(w.len());
    out.clear();
    let order = &mut scratch.order;
    order.clear();
    order.extend((0..n as u16).filter(|&a| w[a as usize] > w_bot));
    order.sort_by(|&a, &b| w[b as usize].total_cmp(&w[a as usize]).then(a.cmp(&b)));
    let j = order.len();
    let width = m + 1;
    let table = &mut scratch.table;
    table.clear();
    table.resize((j + 1) * width, w_bot);
    for i in (0..j).rev() {
        let a = order[i] as usize;
        for k in 1..=m {
            let skip = table[(i + 1) * width + k];
            let take = u[a] * w[a] + (1.0 - u[a]) * table[(i + 1) * width + k - 1];
            table[i * width + k] = if take > skip { take } else { skip };
        }
    }
    let (mut i, mut k) = (0, m);
    while i < j && k > 0 {
        let a = order[i] as usize;
        let take = u[a] * w[a] + (1.0 - u[a]) * table[(i + 1) * width + k - 1];
        if take > table[(i + 1) * width + k] {
            out.push(a as u16);
            k -= 1;
        }
        i += 1;
    }
    if out.is_empty() {
        let mut best = (f64::NEG_INFINITY, 0);
        for a in 0..n {
            let v = u[a] * w[a] + (1.0 - u[a]) * w_bot;
            if v > best.0 {
                best = (v, a);
            }
        }
        out.push(best.1 as u16);
        return best.0;
    }
    // The DP's value and f of the backtracked list are the same number up to rounding; return f
    // of the list shown, so that values and lists always agree.
    list_value(out, u, w, w_bot)
}

/// Every ordered list of 1..=m distinct items out of n, longest first, then lexicographically.
/// (Exhaustive search takes the first maximiser, so among lists of equal value it shows the most
/// items; BestPerm skips an item on an exact DP tie. The two agree whenever the maximiser is
/// unique, which the learners make the generic case by keeping q̄ below 1.)
pub fn all_lists(n: usize, m: usize) -> Vec<Vec<u16>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for len in (1..=m.min(n)).rev() {
        fn rec(n: usize, len: usize, cur: &mut Vec<u16>, out: &mut Vec<Vec<u16>>) {
            if cur.len() == len {
                out.push(cur.clone());
                return;
            }
            for a in 0..n as u16 {
                if !cur.contains(&a) {
                    cur.push(a);
                    rec(n, len, cur, out);
                    cur.pop();
                }
            }
        }
        rec(n, len, &mut cur, &mut out);
    }
    out
}

/// Number of ordered lists of 1..=m distinct items out of n: Σ_{l≤m} n!/(n−l)!.
pub fn count_lists(n: usize, m: usize) -> u64 {
    let mut total = 0u64;
    let mut perm = 1u64;
    for l in 0..m.min(n) {
        perm = perm.saturating_mul((n - l) as u64);
        total = total.saturating_add(perm);
    }
    total
}

/// Exhaustive search over `lists` (the CascadingVI-Oracle baseline): the first list of maximal f.
pub fn brute_force(lists: &[Vec<u16>], u: &[f64], w: &[f64], w_bot: f64) -> (f64, usize) {
    let mut best = (f64::NEG_INFINITY, 0);
    for (i, l) in lists.iter().enumerate() {
        let v = list_value(l, u, w, w_bot);
        if v > best.0 {
            best = (v, i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_value() {
        // u = (0.5, 0.2), w = (1, 2), w⊥ = 0.1, list (1, 0): 0.2·2 + 0.8·0.5·1 + 0.8·0.5·0.1 = 0.84.
        assert!((list_value(&[1, 0], &[0.5, 0.2], &[1.0, 2.0], 0.1) - 0.84).abs() < 1e-15);
        assert_eq!(count_lists(10, 3), 820);
        assert_eq!(all_lists(4, 2).len() as u64, count_lists(4, 2));
    }

    /// Values from a small grid (so that ties happen often) or continuous.
    fn instance() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, f64, usize)> {
        (1usize..=7, 1usize..=3, any::<bool>()).prop_flat_map(|(n, m, grid)| {
            let x = if grid { prop::sample::select(vec![0.0, 0.25, 0.5, 1.0]).boxed() } else { (0.0f64..=1.0).boxed() };
            (
                prop::collection::vec(x.clone(), n),
                prop::collection::vec(x.clone().prop_map(|v| 3.0 * v), n),
                x.prop_map(|v| 3.0 * v),
                Just(m),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// BestPerm equals the brute-force maximum over all ordered lists (N ≤ 7, m ≤ 3),
        /// including ties and instances where every item is below w_⊥.
        #[test]
        fn best_perm_equals_brute_force((u, w, w_bot, m) in instance()) {
            let lists = all_lists(u.len(), m);
            let (bf, _) = brute_force(&lists, &u, &w, w_bot);
            let mut out = Vec::new();
            let v = best_perm(&u, &w, w_bot, m, &mut Scratch::default(), &mut out);
            prop_assert!((v - bf).abs() <= 1e-12, "best_perm {} vs brute force {}", v, bf);
            prop_assert!(!out.is_empty() && out.len() <= m);
            prop_assert!(out.iter().collect::<std::collections::BTreeSet<_>>().len() == out.len(), "repeated item");
        }

        /// The optimum max_A f(A, u, w) is non-decreasing in every w(a), and in every u(a) when
        /// some item is worth at least w_⊥ (what optimism needs). When every item is below
        /// w_⊥, the forced non-empty list makes it decreasing in the shown item's u.
        #[test]
        fn optimum_is_monotone_in_u_and_w((u, w, w_bot, m) in instance(), i in 0usize..7, du in 0.0f64..0.5, dw in 0.0f64..1.0) {
            let i = i % u.len();
            let mut out = Vec::new();
            let mut s = Scratch::default();
            let base = best_perm(&u, &w, w_bot, m, &mut s, &mut out);
            if w.iter().any(|&x| x >= w_bot) {
                let mut u2 = u.clone();
                u2[i] = (u2[i] + du).min(1.0);
                prop_assert!(best_perm(&u2, &w, w_bot, m, &mut s, &mut out) >= base - 1e-12);
            }
            let mut w2 = w.clone();
            w2[i] += dw;
            prop_assert!(best_perm(&u, &w2, w_bot, m, &mut s, &mut out) >= base - 1e-12);
        }
    }
}
