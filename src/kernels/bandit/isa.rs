//! The run-time dispatch to the lane kernel compiled for each instruction set (function
//! multiversioning); which one runs is the caller's [`KernelChoice`](crate::kernels::KernelChoice).

use super::lanes::lanes;
use super::{FixedKernel, IndexRule};
use crate::engine::Trace;
use crate::kernels::Isa;

pub(super) fn dispatch<const K: usize, R: IndexRule>(
    isa: Isa,
    kern: &FixedKernel,
    first_rep: u64,
    grid: &[u64],
    out: &mut [Trace],
) {
    assert!(Isa::available().contains(&isa), "lane kernel {isa:?} is not supported by this CPU");
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` is in `Isa::available()` (asserted above), which checked with
        // `is_x86_feature_detected!` every feature this function was compiled for.
        Isa::Avx512 | Isa::Avx512Ifma => unsafe { lanes_avx512::<K, R>(kern, first_rep, grid, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, AVX2 was detected.
        Isa::Avx2 => unsafe { lanes_avx2::<K, R>(kern, first_rep, grid, out) },
        _ => lanes::<K, 8, R>(kern, first_rep, grid, out),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
fn lanes_avx512<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 32, R>(kern, first_rep, grid, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn lanes_avx2<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 16, R>(kern, first_rep, grid, out)
}
