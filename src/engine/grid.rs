//! The checkpoint grid: the time steps at which every series is recorded.

/// Log-spaced points (about `per_decade` per decade, from 1), `linear` evenly spaced points,
/// and the horizon itself; sorted, distinct, all in 1..=horizon.
pub fn checkpoint_grid(horizon: u64, per_decade: u32, linear: u32) -> Vec<u64> {
    let mut g = Vec::new();
    if horizon == 0 {
        return g;
    }
    let mut j = 0u32;
    loop {
        let t = 10f64.powf(j as f64 / per_decade as f64).round() as u64;
        if t > horizon {
            break;
        }
        g.push(t.max(1));
        j += 1;
    }
    for i in 1..=linear as u64 {
        g.push(((horizon as u128 * i as u128) / linear as u128).max(1) as u64);
    }
    g.push(horizon);
    g.sort_unstable();
    g.dedup();
    g
}

/// The default grid: 10 points per decade plus 50 linear points plus the horizon.
pub fn default_grid(horizon: u64) -> Vec<u64> {
    checkpoint_grid(horizon, 10, 50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_sorted_distinct_and_ends_at_horizon() {
        for t in [1u64, 2, 7, 10, 1000, 10_000, 123_457] {
            let g = default_grid(t);
            assert_eq!(*g.last().unwrap(), t);
            assert_eq!(g[0], 1);
            assert!(g.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn grid_size_is_small() {
        // memory is O(checkpoints x series): about 10 per decade plus 50
        let g = default_grid(10_000_000);
        assert!(g.len() < 130, "{}", g.len());
        assert!(g.contains(&10) && g.contains(&100) && g.contains(&200_000));
    }
}
