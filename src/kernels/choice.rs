//! Which implementation of a batched kernel runs: the scalar reference or lanes compiled for an
//! instruction set this CPU supports. Speed only, never results: every path computes the
//! reference's integers. Settings without a batched kernel ignore the choice.

/// Which implementation of a batched kernel runs: a choice of speed only, never of results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KernelChoice {
    /// The fastest lane kernel this CPU supports.
    #[default]
    Auto,
    /// The scalar reference, one replication at a time.
    Scalar,
    /// A given lane kernel.
    Lanes(Isa),
}

impl KernelChoice {
    /// Parses `auto`, `scalar`, `portable`, `avx2` or `avx512`; a lane kernel this CPU cannot run
    /// is an error that lists the ones it can.
    pub fn parse(s: &str) -> Result<KernelChoice, String> {
        Self::parse_on(s, &Isa::available())
    }

    /// [`Self::parse`] on a CPU with the lane kernels `avail`.
    pub fn parse_on(s: &str, avail: &[Isa]) -> Result<KernelChoice, String> {
        let names: Vec<&str> = ["auto", "scalar"].into_iter().chain(avail.iter().map(|i| i.name())).collect();
        match s {
            "auto" => Ok(KernelChoice::Auto),
            "scalar" => Ok(KernelChoice::Scalar),
            _ => match avail.iter().find(|i| i.name() == s) {
                Some(&isa) => Ok(KernelChoice::Lanes(isa)),
                None if Isa::ALL.iter().any(|i| i.name() == s) => {
                    Err(format!("{} (this CPU lacks {s})", names.join(", ")))
                }
                None => Err(names.join(", ")),
            },
        }
    }

    /// The path that actually runs on this CPU.
    pub fn describe(self) -> String {
        match self {
            KernelChoice::Auto => format!("{} lanes (auto)", Isa::selected().name()),
            KernelChoice::Scalar => "scalar reference".into(),
            KernelChoice::Lanes(isa) => format!("{} lanes", isa.name()),
        }
    }
}

/// The instruction sets the lane kernel is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// The hand-written AVX-512 IFMA kernel where it applies (UCB1, K ≤ 16, T < 2^14), the
    /// AVX-512 lanes elsewhere.
    Avx512Ifma,
    /// AVX-512 (F, BW, VL, DQ), 32 lanes.
    Avx512,
    /// AVX2, 16 lanes.
    Avx2,
    /// The build's baseline target (SSE2 on x86-64), 8 lanes.
    Portable,
}

impl Isa {
    /// Every lane kernel of the build, on any CPU.
    pub const ALL: [Isa; 4] = [Isa::Avx512Ifma, Isa::Avx512, Isa::Avx2, Isa::Portable];

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512Ifma => "avx512ifma",
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    /// Every lane kernel this CPU can run, fastest first.
    pub fn available() -> Vec<Isa> {
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            // Exactly the features the two functions below are compiled with.
            let avx2 = has!("avx2") && has!("fma");
            if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512dq") {
                if has!("avx512ifma") {
                    v.push(Isa::Avx512Ifma);
                }
                v.push(Isa::Avx512);
            }
            if avx2 {
                v.push(Isa::Avx2);
            }
        }
        v.push(Isa::Portable);
        v
    }

    /// The fastest available, unless `REGRETLAB_ISA` names another available one (for
    /// benchmarking the portable paths on a machine that has AVX-512). Results never depend on it.
    pub fn selected() -> Isa {
        static SEL: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *SEL.get_or_init(|| {
            let avail = Isa::available();
            let want = std::env::var("REGRETLAB_ISA").unwrap_or_default();
            avail.iter().copied().find(|i| i.name() == want).unwrap_or(avail[0])
        })
    }
}
