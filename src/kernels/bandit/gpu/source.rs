//! Assembling a kernel's WGSL: which rules and arm families the GPU runs, and the shader text
//! of both layouts.

use super::{
    ARGMAX, BERNOULLI, BODY, BODY_UNROLLED, GAUSSIAN, KL_UCB, NORMAL, PRELUDE, STEP_HEAD, TS_BERNOULLI, TS_CHOOSE, WG,
    WGSL_UCBV_SD,
};
use crate::gpu;
use crate::kernels::bandit::{FixedKernel, FixedRule};

impl FixedKernel {
    /// Whether [`Self::run_block_gpu`] can run this kernel: UCB1, MOSS, ETC, ε-greedy and
    /// Thompson sampling on Bernoulli or Gaussian arms, UCB-V and KL-UCB on Bernoulli arms;
    /// K ≤ 64, T < 2^25 (the exact mean's range). Some also need SHADER_INT64
    /// ([`Self::gpu_needs_int64`]).
    pub fn gpu_supported(&self) -> bool {
        let rule = match self.rule {
            FixedRule::Ucb1 { .. } | FixedRule::Moss | FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } => true,
            FixedRule::KlUcb { .. } => self.gauss.is_none() && self.kl.is_some(),
            FixedRule::Thompson { .. } => true,
            FixedRule::UcbV { .. } => self.gauss.is_none(),
        };
        rule && self.k <= 64 && self.horizon < 1 << 25
    }

    /// Whether the kernel needs i64 in shaders (Gaussian arms' sums and deviates, KL-UCB's
    /// divergences, UCB-V's f32 emulation, Thompson's draws): devices without SHADER_INT64 run
    /// such jobs on the CPU.
    pub fn gpu_needs_int64(&self) -> bool {
        self.gauss.is_some()
            || matches!(self.rule, FixedRule::KlUcb { .. } | FixedRule::Thompson { .. } | FixedRule::UcbV { .. })
    }

    /// Steps of round robin before the rule decides (capped at the horizon).
    pub(super) fn gpu_explore(&self) -> u64 {
        match self.rule {
            FixedRule::Etc { m } => m.saturating_mul(self.k as u64).min(self.horizon),
            FixedRule::Thompson { .. } => 0,
            _ => self.k as u64,
        }
    }

    /// Cells whose kernels share this key run in the same dispatches: the shader depends only
    /// on the rule and K.
    pub fn gpu_batch_key(&self) -> String {
        let rule = match self.rule {
            FixedRule::Ucb1 { .. } => "ucb1",
            FixedRule::Moss => "moss",
            FixedRule::Etc { .. } => "etc",
            FixedRule::EpsGreedy { .. } => "eps_greedy",
            FixedRule::UcbV { .. } => "ucb_v",
            FixedRule::KlUcb { .. } => "kl_ucb",
            FixedRule::Thompson { .. } => "thompson",
        };
        format!(
            "bandit fixed point {rule}, K = {}, {} arms",
            self.k,
            if self.gauss.is_some() { "Gaussian" } else { "Bernoulli" }
        )
    }

    /// The WGSL source of this kernel's (rule, K) for a device with (`int64`) or without u64.
    pub fn gpu_source(&self, int64: bool) -> String {
        let (index, bindings, load, store, after) = match self.rule {
            FixedRule::Ucb1 { .. } => ("mq[K_] + mul_wide(a, b[K_]).x", "", "", "", ""),
            FixedRule::Moss => ("mq[K_] + b[K_]", "", "", "", ""),
            FixedRule::Etc { .. } => (
                "mq[K_]",
                "@group(0) @binding(7) var<storage, read_write> commit: array<u32>;",
                "var committed = commit[i];",
                "commit[i] = committed;",
                "",
            ),
            FixedRule::KlUcb { .. } => ("kidx[K_]", KL_UCB, "", "", ""),
            FixedRule::UcbV { .. } => (
                "(mq[K_] >> 4u) + mul_wide(a2, b[K_]).x + mul_wide(a1, sd[K_]).x",
                WGSL_UCBV_SD,
                "var sd: array<u32, K>;
    for (var k = 0u; k < K; k++) {
        sd[k] = select(0u, ucbv_sd(n[k], s[k]), n[k] > 0u);
    }",
                "",
                "",
            ),
            FixedRule::Thompson { .. } => ("", "", "", "", ""),
            FixedRule::EpsGreedy { .. } => (
                "mq[K_]",
                "@group(0) @binding(7) var<storage, read> tab_eps: array<vec2<u32>>;",
                "",
                "",
                "let w = philox(vec4<u32>(m, rep, sg.prole, 0u), key);
            let th = tab_eps[sg.e_off + m];
            if (w.x < th.x || th.y == 1u) {
                arm = mul_wide(w.y, K).x;
            }",
            ),
        };
        let argmax = ARGMAX.replace("INDEX0", &index.replace("K_", "0")).replace("INDEXK", &index.replace("K_", "k"));
        let choose = match self.rule {
            FixedRule::Etc { .. } => format!(
                "if (committed == 0xffffffffu) {{\n            {argmax}\n            committed = arm;\n            }}\n            arm = committed;"
            ),
            FixedRule::Ucb1 { .. } => format!("let a = tab_a[sg.a_off + m];\n            {argmax}"),
            FixedRule::Thompson { .. } => TS_CHOOSE.to_string(),
            FixedRule::UcbV { .. } => format!(
                "let a1 = tab_a[2u * (sg.a_off + m)];\n            let a2 = tab_a[2u * (sg.a_off + m) + 1u];\n            {argmax}"
            ),
            FixedRule::KlUcb { .. } => format!(
                "let lev = ld64(vec2<u32>(tab_a[2u * (sg.a_off + m)], tab_a[2u * (sg.a_off + m) + 1u]));
            var kidx: array<u32, K>;
            for (var k = 0u; k < K; k++) {{
                kidx[k] = kl_index(n[k], s[k], mq[k], lev);
            }}
            {argmax}"
            ),
            _ => format!("{argmax}\n            {after}"),
        };
        let gauss = self.gauss.is_some();
        let ts = matches!(self.rule, FixedRule::Thompson { .. });
        let mut arms = String::from(if gauss { GAUSSIAN } else { BERNOULLI });
        if gauss || ts {
            arms.push_str(NORMAL);
        }
        if ts && !gauss {
            arms.push_str(TS_BERNOULLI);
        }
        let body = format!("{PRELUDE}{BODY}")
            .replace("STEP_HEAD", STEP_HEAD)
            .replace("BINDINGS", bindings)
            .replace("LOAD", load)
            .replace("STORE", store)
            .replace("CHOOSE", &choose)
            .replace(
                "UPDATE",
                if matches!(self.rule, FixedRule::UcbV { .. }) { "sd[arm] = ucbv_sd(nk, sk);" } else { "" },
            )
            .replace("SCELL", if gauss { "vec2<u32>" } else { "u32" })
            .replace("STYPE", if gauss { "i64" } else { "u32" })
            .replace("ARMS", &arms);
        format!(
            "const K: u32 = {k}u;\nconst NB: u32 = {nb}u;\nconst WG: u32 = {WG}u;\n{}{}{body}",
            gpu::wgsl_mul_wide(int64),
            gpu::WGSL_PHILOX,
            k = self.k,
            nb = self.k.div_ceil(4)
        )
    }

    /// Whether this kernel has the unrolled layout (`BODY_UNROLLED`): UCB1, MOSS, ETC and
    /// ε-greedy on Bernoulli arms.
    pub fn gpu_unrolled(&self) -> bool {
        self.gauss.is_none()
            && matches!(
                self.rule,
                FixedRule::Ucb1 { .. } | FixedRule::Moss | FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. }
            )
    }

    /// The WGSL of the unrolled layout for this (rule, K), or None (see [`Self::gpu_unrolled`]).
    /// Per arm k the shader keeps `q{k}` (the Q4.28 mean) and, for UCB1 and MOSS, `b{k}` (B\[n\]
    /// or C\[n\]); the pulled arm's new values replace them through `select`.
    pub fn gpu_source_unrolled(&self, int64: bool) -> Option<String> {
        if !self.gpu_unrolled() {
            return None;
        }
        let k = self.k;
        let with_b = matches!(self.rule, FixedRule::Ucb1 { .. } | FixedRule::Moss);
        let mut declare = String::new();
        for j in 0..k {
            declare.push_str(&format!(
                "    let n{j} = cnt[{j}u * R + i];
    let s{j} = suc[{j}u * R + i];
    wn[{j}u * WG + lid] = n{j};
    ws[{j}u * WG + lid] = s{j};
    let t{j} = tab_n[sg.n_off + n{j}];
    var q{j} = select(0u, mean_q(s{j}, n{j}, t{j}.y), n{j} > 0u);
"
            ));
            if with_b {
                declare.push_str(&format!(
                    "    var b{j} = select(0u, t{j}.x, n{j} > 0u);
"
                ));
            }
        }
        let index = |j: usize| match self.rule {
            FixedRule::Ucb1 { .. } => format!("q{j} + mul_wide(a, b{j}).x"),
            FixedRule::Moss => format!("q{j} + b{j}"),
            _ => format!("q{j}"),
        };
        let mut argmax = format!(
            "arm = 0u;
            var best = {};",
            index(0)
        );
        for j in 1..k {
            argmax.push_str(&format!(
                "
            {{
                let v = {};
                if (v > best) {{
                    best = v;
                    arm = {j}u;
                }}
            }}",
                index(j)
            ));
        }
        let (bindings, load, store, choose) = match self.rule {
            FixedRule::Ucb1 { .. } => (
                "",
                "",
                "",
                format!(
                    "let a = tab_a[sg.a_off + m];
            {argmax}"
                ),
            ),
            FixedRule::Moss => ("", "", "", argmax),
            FixedRule::Etc { .. } => (
                "@group(0) @binding(7) var<storage, read_write> commit: array<u32>;",
                "var committed = commit[i];",
                "commit[i] = committed;",
                format!(
                    "if (committed == 0xffffffffu) {{
            {argmax}
            committed = arm;
            }}
            arm = committed;"
                ),
            ),
            _ => (
                "@group(0) @binding(7) var<storage, read> tab_eps: array<vec2<u32>>;",
                "",
                "",
                format!(
                    "{argmax}
            let w = philox(vec4<u32>(m, rep, sg.prole, 0u), key);
            let th = tab_eps[sg.e_off + m];
            if (w.x < th.x || th.y == 1u) {{
                arm = mul_wide(w.y, K).x;
            }}"
                ),
            ),
        };
        let mut selects = String::new();
        for j in 0..k {
            selects.push_str(&format!(
                "        q{j} = select(q{j}, mqn, arm == {j}u);
"
            ));
            if with_b {
                selects.push_str(&format!(
                    "        b{j} = select(b{j}, t.x, arm == {j}u);
"
                ));
            }
        }
        let body = format!("{PRELUDE}{BODY_UNROLLED}")
            .replace("STEP_HEAD", STEP_HEAD)
            .replace("BINDINGS", bindings)
            .replace("SCELL", "u32")
            .replace("ARMS", "var<workgroup> wn: array<u32, K * WG>;\nvar<workgroup> ws: array<u32, K * WG>;")
            .replace("DECLARE", &declare)
            .replace("LOAD", load)
            .replace("STORE", store)
            .replace("CHOOSE", &choose)
            .replace("SELECTS", &selects);
        Some(format!(
            "const K: u32 = {k}u;\nconst WG: u32 = {WG}u;\n{}{}{body}",
            gpu::wgsl_mul_wide(int64),
            gpu::WGSL_PHILOX
        ))
    }
}
