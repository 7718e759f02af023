//! Recording a replication at its checkpoints: the engine's half of the split between the loop
//! that advances a learner (the setting's) and the observer that keeps its metrics at the
//! checkpoints (this module's), as argmin's executor keeps observers apart from its solvers.
//!
//! A setting that advances step by step reports every step's metric values to a [`Recorder`];
//! the recorder keeps those of the checkpoints and the last values as the finals. Batched
//! kernels that advance many replications in lanes keep their own raw block interface and use
//! the same [`Checkpoints`] cursor to find the checkpoints.

use super::Trace;

/// A cursor over a checkpoint grid (1-based step counts, increasing): the one place that
/// decides whether a step count is the next checkpoint. Copy it to give lanes that advance
/// together the same position.
#[derive(Clone, Copy, Debug)]
pub struct Checkpoints<'a> {
    grid: &'a [u64],
    next: usize,
}

impl<'a> Checkpoints<'a> {
    pub fn new(grid: &'a [u64]) -> Checkpoints<'a> {
        Checkpoints { grid, next: 0 }
    }

    /// Whether step count `t` is the next checkpoint.
    #[inline]
    pub fn due(&self, t: u64) -> bool {
        self.next < self.grid.len() && self.grid[self.next] == t
    }

    /// If step count `t` is the next checkpoint, its index; the cursor then moves past it.
    #[inline]
    pub fn hit(&mut self, t: u64) -> Option<usize> {
        self.due(t).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    /// The next checkpoint's index, if any is left, moving past it (for runs that report only
    /// at checkpoints).
    #[inline]
    pub fn advance(&mut self) -> Option<usize> {
        (self.next < self.grid.len()).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

/// Keeps one replication's metric values at the checkpoints of `grid` (1-based step counts,
/// increasing) and its final values.
pub struct Recorder<'a> {
    checkpoints: Checkpoints<'a>,
    trace: &'a mut Trace,
}

impl<'a> Recorder<'a> {
    pub fn new(grid: &'a [u64], trace: &'a mut Trace) -> Recorder<'a> {
        Recorder { checkpoints: Checkpoints::new(grid), trace }
    }

    /// Whether step count `t` is the next checkpoint.
    #[inline]
    pub fn due(&self, t: u64) -> bool {
        self.checkpoints.due(t)
    }

    /// Step count `t` happened with these metric values (one per metric, in trace order): kept
    /// if `t` is the next checkpoint. `values` is only evaluated then.
    #[inline]
    pub fn step<V: AsRef<[f64]>>(&mut self, t: u64, values: impl FnOnce() -> V) {
        if let Some(c) = self.checkpoints.hit(t) {
            self.trace.put(c, values().as_ref());
        }
    }

    /// Records `values` at the next checkpoint, whatever its step count (for runs that report
    /// only at checkpoints).
    #[inline]
    pub fn record(&mut self, values: &[f64]) {
        if let Some(c) = self.checkpoints.advance() {
            self.trace.put(c, values);
        }
    }

    /// The replication's final values (one per metric).
    pub fn finish(self, finals: &[f64]) {
        self.trace.finals.copy_from_slice(finals);
    }
}

/// Runs one replication whose learner reports `(step count, metric values)` after every step
/// (through the callback it is given), keeping the checkpoints' values and the last values as
/// the finals.
pub fn record_steps(grid: &[u64], trace: &mut Trace, run: impl FnOnce(&mut dyn FnMut(u64, &[f64]))) {
    let mut last = vec![0.0; trace.finals.len()];
    let mut rec = Recorder::new(grid, trace);
    run(&mut |t, values| {
        last.copy_from_slice(values);
        rec.step(t, || values);
    });
    rec.finish(&last);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_checkpoints_and_the_last_values() {
        let grid = [2, 3, 5];
        let mut tr = Trace::new(2, grid.len());
        record_steps(&grid, &mut tr, |emit| {
            for t in 1..=6u64 {
                emit(t, &[t as f64, 10.0 * t as f64]);
            }
        });
        // metric-major: metric 0 at checkpoints 2, 3, 5, then metric 1
        assert_eq!(tr.values, vec![2.0, 3.0, 5.0, 20.0, 30.0, 50.0]);
        assert_eq!(tr.finals, vec![6.0, 60.0]);
        // values are evaluated only at checkpoints
        let mut tr = Trace::new(1, 1);
        let mut rec = Recorder::new(&[4], &mut tr);
        let mut asked = 0;
        for t in 1..=5 {
            rec.step(t, || {
                asked += 1;
                [t as f64]
            });
        }
        rec.finish(&[5.0]);
        assert_eq!((asked, tr.values[0], tr.finals[0]), (1, 4.0, 5.0));
    }
}
