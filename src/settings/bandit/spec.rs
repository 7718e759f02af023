//! The `[bandit]` section of an experiment spec: its serde types and their validation into a
//! checked [`BanditConfig`]. Every error names the field, the value and the allowed range.

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};
use crate::rng::{Philox, Role, StreamId, content_hash, mix64};

use super::arms::Arm;
use super::sim::PolicyConfig;
use crate::kernels::bandit::{FixedRule, fixed_rule_support, fixed_support, max_fixed_alpha};

use crate::spec::OneOrMany;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BanditSpec {
    pub instances: Vec<InstanceSpec>,
    pub policies: Vec<PolicySpec>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Bernoulli,
    Gaussian,
    Uniform,
    Beta,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    pub label: Option<String>,
    pub arms: Family,
    /// Bernoulli and Gaussian arms: the means.
    pub means: Option<Vec<f64>>,
    /// Gaussian arms: one standard deviation for all arms, or one per arm (default 1).
    pub sd: Option<OneOrMany<f64>>,
    /// Uniform arms: supports [low_k, high_k].
    pub low: Option<Vec<f64>>,
    pub high: Option<Vec<f64>>,
    /// Beta arms: shape parameters.
    pub a: Option<Vec<f64>>,
    pub b: Option<Vec<f64>>,
    /// Bernoulli and Gaussian arms: means drawn uniformly from [low, high] with a seed.
    pub generate: Option<GenerateSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    pub count: i64,
    pub seed: u64,
    #[serde(default)]
    pub low: f64,
    #[serde(default = "one")]
    pub high: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Divergence {
    #[default]
    Bernoulli,
    Gaussian,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Arithmetic {
    /// f64 index, one replication at a time.
    #[default]
    Float,
    /// The integer/fixed-point batched kernel (Bernoulli arms; UCB1, UCB-V, MOSS, KL-UCB,
    /// explore-then-commit, ε-greedy).
    Fixed,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicySpec {
    Ucb1 {
        label: Option<String>,
        alpha: Option<OneOrMany<f64>>,
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    UcbV {
        label: Option<String>,
        zeta: Option<f64>,
        c: Option<f64>,
        b: Option<f64>,
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    KlUcb {
        label: Option<String>,
        c: Option<OneOrMany<f64>>,
        /// "bernoulli" (default; rewards in [0, 1]) or "gaussian" (with `variance`).
        #[serde(default)]
        divergence: Divergence,
        variance: Option<f64>,
        /// "fixed" runs the fixed-point kernel (Bernoulli divergence only).
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    Moss {
        label: Option<String>,
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    ThompsonBeta {
        label: Option<String>,
    },
    ThompsonGaussian {
        label: Option<String>,
        sigma: Option<f64>,
        /// "fixed" runs the fixed-point draws of `kernel::thompson` (and the GPU kernel).
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    EpsilonGreedy {
        label: Option<String>,
        epsilon: Option<OneOrMany<f64>>,
        c: Option<f64>,
        d: Option<f64>,
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    ExploreThenCommit {
        label: Option<String>,
        m: OneOrMany<i64>,
        #[serde(default)]
        arithmetic: Arithmetic,
    },
    Exp3 {
        label: Option<String>,
        eta: Option<OneOrMany<f64>>,
    },
}

/// A checked instance.
#[derive(Clone, Debug, Serialize)]
pub struct InstanceConfig {
    pub label: String,
    pub arms: Vec<Arm>,
}

/// A checked policy variant (one value of each swept parameter).
#[derive(Clone, Debug, Serialize)]
pub struct PolicyVariant {
    pub label: String,
    pub config: PolicyConfig,
    pub arithmetic: Arithmetic,
    /// Role tag of its random stream: a hash of `config` and `arithmetic`, never of its position.
    pub tag: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct BanditConfig {
    pub instances: Vec<InstanceConfig>,
    pub policies: Vec<PolicyVariant>,
}

/// Largest magnitude accepted for a mean, a bound or a standard deviation: keeps every gap and
/// regret finite in f64.
pub const MAX_ABS: f64 = 1e12;
/// Most arms an instance may have.
pub const MAX_ARMS: usize = 100_000;

fn check_prob(field: String, v: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&v) {
        return Err(invalid(field, v, "a Bernoulli mean is a probability", "[0, 1]"));
    }
    Ok(())
}

fn check_pos(field: String, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(invalid(field, v, "must be a positive finite number", "(0, ∞)"));
    }
    Ok(())
}

fn need<T: Clone>(field: String, v: &Option<T>, family: &str) -> Result<T> {
    v.clone().ok_or_else(|| {
        invalid(field, "missing", format!("{family} arms need this field"), "a list with one value per arm")
    })
}

impl InstanceSpec {
    fn check(&self, i: usize) -> Result<InstanceConfig> {
        let p = format!("bandit.instances[{i}]");
        let fam = self.arms;
        let unused = |name: &str, present: bool| -> Result<()> {
            if present {
                return Err(invalid(format!("{p}.{name}"), "given", format!("{fam:?} arms do not use it"), "omit it"));
            }
            Ok(())
        };
        let means: Option<Vec<f64>> = match (&self.means, &self.generate) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    format!("{p}.generate"),
                    "given",
                    "both `means` and `generate` are set",
                    "exactly one of them",
                ));
            }
            (Some(m), None) => Some(m.clone()),
            (None, Some(g)) => {
                if !matches!(fam, Family::Bernoulli | Family::Gaussian) {
                    return Err(invalid(
                        format!("{p}.generate"),
                        "given",
                        "only Bernoulli and Gaussian means can be generated",
                        "omit it",
                    ));
                }
                if g.count < 2 || g.count > MAX_ARMS as i64 {
                    return Err(invalid(
                        format!("{p}.generate.count"),
                        g.count,
                        "the number of arms",
                        format!("2 ..= {MAX_ARMS}"),
                    ));
                }
                let (lo_ok, hi_ok) = match fam {
                    Family::Bernoulli => ((0.0..=1.0).contains(&g.low), (0.0..=1.0).contains(&g.high)),
                    _ => (g.low.is_finite() && g.low.abs() <= MAX_ABS, g.high.is_finite() && g.high.abs() <= MAX_ABS),
                };
                let range = if fam == Family::Bernoulli {
                    "[0, 1] (Bernoulli means)".to_string()
                } else {
                    format!("[-{MAX_ABS:e}, {MAX_ABS:e}]")
                };
                if !lo_ok {
                    return Err(invalid(
                        format!("{p}.generate.low"),
                        g.low,
                        "the lower end of the means' range",
                        range,
                    ));
                }
                if !hi_ok || g.high < g.low {
                    return Err(invalid(
                        format!("{p}.generate.high"),
                        g.high,
                        "the upper end of the means' range",
                        format!("{} and ≥ generate.low = {}", range, g.low),
                    ));
                }
                // The instance stream: key from the generator's own seed, so the same `generate`
                // gives the same means in every experiment.
                let mut s: Philox = StreamId::new([g.seed as u32, (g.seed >> 32) as u32], 0, Role::Instance).stream();
                Some((0..g.count).map(|_| g.low + (g.high - g.low) * s.open01()).collect())
            }
            (None, None) => None,
        };
        let arms: Vec<Arm> = match fam {
            Family::Bernoulli => {
                unused("sd", self.sd.is_some())?;
                unused("low", self.low.is_some() || self.high.is_some())?;
                unused("a", self.a.is_some() || self.b.is_some())?;
                let m = need(format!("{p}.means"), &means, "Bernoulli")?;
                for (j, &x) in m.iter().enumerate() {
                    let f = if self.generate.is_some() { format!("{p}.generate") } else { format!("{p}.means[{j}]") };
                    check_prob(f, x)?;
                }
                m.into_iter().map(|p| Arm::Bernoulli { p }).collect()
            }
            Family::Gaussian => {
                unused("low", self.low.is_some() || self.high.is_some())?;
                unused("a", self.a.is_some() || self.b.is_some())?;
                let m = need(format!("{p}.means"), &means, "Gaussian")?;
                let sd = match &self.sd {
                    None => vec![1.0; m.len()],
                    Some(OneOrMany::One(s)) => vec![*s; m.len()],
                    Some(OneOrMany::Many(v)) => {
                        if v.len() != m.len() {
                            return Err(invalid(
                                format!("{p}.sd"),
                                format!("{} values", v.len()),
                                "one standard deviation per arm",
                                format!("{} values or one", m.len()),
                            ));
                        }
                        v.clone()
                    }
                };
                for (j, (&mu, &s)) in m.iter().zip(&sd).enumerate() {
                    if !(mu.is_finite() && mu.abs() <= MAX_ABS) {
                        return Err(invalid(
                            format!("{p}.means[{j}]"),
                            mu,
                            "a Gaussian mean (gaps must stay finite)",
                            format!("[-{MAX_ABS:e}, {MAX_ABS:e}]"),
                        ));
                    }
                    if !(s.is_finite() && s > 0.0 && s <= MAX_ABS) {
                        return Err(invalid(
                            format!("{p}.sd[{j}]"),
                            s,
                            "a standard deviation",
                            format!("(0, {MAX_ABS:e}]"),
                        ));
                    }
                }
                m.into_iter().zip(sd).map(|(mean, sd)| Arm::Gaussian { mean, sd }).collect()
            }
            Family::Uniform => {
                unused("means", means.is_some())?;
                unused("sd", self.sd.is_some())?;
                unused("a", self.a.is_some() || self.b.is_some())?;
                let lo = need(format!("{p}.low"), &self.low, "uniform")?;
                let hi = need(format!("{p}.high"), &self.high, "uniform")?;
                if lo.len() != hi.len() {
                    return Err(invalid(
                        format!("{p}.high"),
                        format!("{} values", hi.len()),
                        "one bound per arm",
                        format!("{} values", lo.len()),
                    ));
                }
                for (j, (&l, &h)) in lo.iter().zip(&hi).enumerate() {
                    if !(l.is_finite() && l.abs() <= MAX_ABS) {
                        return Err(invalid(
                            format!("{p}.low[{j}]"),
                            l,
                            "the lower end of the support",
                            format!("[-{MAX_ABS:e}, {MAX_ABS:e}]"),
                        ));
                    }
                    if !(h.is_finite() && h.abs() <= MAX_ABS && h > l) {
                        return Err(invalid(
                            format!("{p}.high[{j}]"),
                            h,
                            "the upper end of the support",
                            format!("({l}, {MAX_ABS:e}]"),
                        ));
                    }
                }
                lo.into_iter().zip(hi).map(|(low, high)| Arm::Uniform { low, high }).collect()
            }
            Family::Beta => {
                unused("means", means.is_some())?;
                unused("sd", self.sd.is_some())?;
                unused("low", self.low.is_some() || self.high.is_some())?;
                let a = need(format!("{p}.a"), &self.a, "Beta")?;
                let b = need(format!("{p}.b"), &self.b, "Beta")?;
                if a.len() != b.len() {
                    return Err(invalid(
                        format!("{p}.b"),
                        format!("{} values", b.len()),
                        "one shape per arm",
                        format!("{} values", a.len()),
                    ));
                }
                for (j, (&x, &y)) in a.iter().zip(&b).enumerate() {
                    check_pos(format!("{p}.a[{j}]"), x)?;
                    check_pos(format!("{p}.b[{j}]"), y)?;
                }
                a.into_iter().zip(b).map(|(a, b)| Arm::Beta { a, b }).collect()
            }
        };
        if arms.len() < 2 || arms.len() > MAX_ARMS {
            return Err(invalid(
                p.clone(),
                format!("{} arm(s)", arms.len()),
                "the number of arms",
                format!("2 ..= {MAX_ARMS}"),
            ));
        }
        let label = self.label.clone().unwrap_or_else(|| format!("{:?}-K{}", fam, arms.len()).to_lowercase());
        Ok(InstanceConfig { label, arms })
    }
}

/// The values of a swept parameter (its default when absent); an empty list is an error.
fn swept<T: Clone + std::fmt::Debug>(field: String, v: &Option<OneOrMany<T>>, default: T) -> Result<Vec<T>> {
    match v {
        None => Ok(vec![default]),
        Some(OneOrMany::Many(xs)) if xs.is_empty() => {
            Err(invalid(field, "[]", "a sweep needs at least one value", "a value or a non-empty list"))
        }
        Some(x) => Ok(x.values()),
    }
}

fn fmt_param(name: &str, v: f64, swept: bool, base: &str) -> String {
    if swept { format!("{base}({name}={v})") } else { base.to_string() }
}

impl PolicySpec {
    fn expand(&self, i: usize) -> Result<Vec<PolicyVariant>> {
        let p = format!("bandit.policies[{i}]");
        let mut out: Vec<(String, PolicyConfig, Arithmetic)> = Vec::new();
        let one_label = |label: &Option<String>, n: usize, auto: String| -> String {
            match label {
                Some(l) if n == 1 => l.clone(),
                Some(l) => format!("{l} {auto}"),
                None => auto,
            }
        };
        match self {
            PolicySpec::Ucb1 { label, alpha, arithmetic } => {
                let vals = swept(format!("{p}.alpha"), alpha, 2.0)?;
                for &a in &vals {
                    if !(a.is_finite() && a > 0.0 && a <= 16.0) {
                        return Err(invalid(format!("{p}.alpha"), a, "UCB1's exploration constant", "(0, 16]"));
                    }
                    let base = if *arithmetic == Arithmetic::Fixed { "UCB1-fixed" } else { "UCB1" };
                    out.push((
                        one_label(label, vals.len(), fmt_param("alpha", a, vals.len() > 1, base)),
                        PolicyConfig::Ucb1 { alpha: a },
                        *arithmetic,
                    ));
                }
            }
            PolicySpec::UcbV { label, zeta, c, b, arithmetic } => {
                let (zeta, c, b) = (zeta.unwrap_or(1.2), c.unwrap_or(1.0), b.unwrap_or(1.0));
                check_pos(format!("{p}.zeta"), zeta)?;
                check_pos(format!("{p}.c"), c)?;
                check_pos(format!("{p}.b"), b)?;
                let base = if *arithmetic == Arithmetic::Fixed { "UCB-V-fixed" } else { "UCB-V" };
                out.push((label.clone().unwrap_or(base.into()), PolicyConfig::UcbV { zeta, c, b }, *arithmetic));
            }
            PolicySpec::KlUcb { label, c, divergence, variance, arithmetic } => {
                let vals = swept(format!("{p}.c"), c, 0.0)?;
                let (gaussian_variance, base) = match (divergence, variance) {
                    (Divergence::Bernoulli, None) => {
                        (None, if *arithmetic == Arithmetic::Fixed { "KL-UCB-fixed" } else { "KL-UCB" })
                    }
                    (Divergence::Bernoulli, Some(_)) => {
                        return Err(invalid(
                            format!("{p}.variance"),
                            "given",
                            "the Bernoulli divergence has no variance parameter",
                            "omit it, or divergence = \"gaussian\"",
                        ));
                    }
                    (Divergence::Gaussian, v) => {
                        let v = v.unwrap_or(1.0);
                        check_pos(format!("{p}.variance"), v)?;
                        if *arithmetic == Arithmetic::Fixed {
                            return Err(invalid(
                                format!("{p}.arithmetic"),
                                "fixed",
                                "the fixed-point KL-UCB kernel implements the Bernoulli divergence only",
                                "\"float\" with divergence = \"gaussian\"",
                            ));
                        }
                        (Some(v), "KL-UCB-Gauss")
                    }
                };
                for &x in &vals {
                    if !(x.is_finite() && x >= 0.0) {
                        return Err(invalid(format!("{p}.c"), x, "the ln ln t coefficient", "[0, ∞)"));
                    }
                    // the fixed-point level (ln t + c ln ln t) 2^32 must fit in i64 with room
                    if *arithmetic == Arithmetic::Fixed && x > 1e6 {
                        return Err(invalid(
                            format!("{p}.c"),
                            x,
                            "the fixed-point KL-UCB level (ln t + c ln ln t) 2^32 must fit in 63 bits",
                            "[0, 1e6] with arithmetic = \"fixed\"",
                        ));
                    }
                    out.push((
                        one_label(label, vals.len(), fmt_param("c", x, vals.len() > 1, base)),
                        PolicyConfig::KlUcb { c: x, gaussian_variance },
                        *arithmetic,
                    ));
                }
            }
            PolicySpec::Moss { label, arithmetic } => {
                let base = if *arithmetic == Arithmetic::Fixed { "MOSS-fixed" } else { "MOSS" };
                out.push((label.clone().unwrap_or(base.into()), PolicyConfig::Moss, *arithmetic));
            }
            PolicySpec::ThompsonBeta { label } => {
                out.push((label.clone().unwrap_or("TS-Beta".into()), PolicyConfig::ThompsonBeta, Arithmetic::Float));
            }
            PolicySpec::ThompsonGaussian { label, sigma, arithmetic } => {
                let s = sigma.unwrap_or(1.0);
                check_pos(format!("{p}.sigma"), s)?;
                let base = if *arithmetic == Arithmetic::Fixed { "TS-Gaussian-fixed" } else { "TS-Gaussian" };
                out.push((
                    label.clone().unwrap_or(base.into()),
                    PolicyConfig::ThompsonGaussian { sigma: s },
                    *arithmetic,
                ));
            }
            PolicySpec::EpsilonGreedy { label, epsilon, c, d, arithmetic } => match (epsilon, c, d) {
                (Some(_), None, None) => {
                    let vals = swept(format!("{p}.epsilon"), epsilon, 0.0)?;
                    for &x in &vals {
                        if !(0.0..=1.0).contains(&x) {
                            return Err(invalid(format!("{p}.epsilon"), x, "an exploration probability", "[0, 1]"));
                        }
                        let base = if *arithmetic == Arithmetic::Fixed { "eps-greedy-fixed" } else { "eps-greedy" };
                        out.push((
                            one_label(label, vals.len(), fmt_param("eps", x, vals.len() > 1, base)),
                            PolicyConfig::EpsilonGreedy { epsilon: Some(x), c: 0.0, d: 0.0 },
                            *arithmetic,
                        ));
                    }
                }
                (None, Some(c), Some(d)) => {
                    check_pos(format!("{p}.c"), *c)?;
                    if !(*d > 0.0 && *d <= 1.0) {
                        return Err(invalid(format!("{p}.d"), d, "a lower bound on the smallest gap", "(0, 1]"));
                    }
                    let base = if *arithmetic == Arithmetic::Fixed {
                        "eps-greedy-fixed(decaying)"
                    } else {
                        "eps-greedy(decaying)"
                    };
                    out.push((
                        label.clone().unwrap_or(base.into()),
                        PolicyConfig::EpsilonGreedy { epsilon: None, c: *c, d: *d },
                        *arithmetic,
                    ));
                }
                _ => {
                    return Err(invalid(
                        format!("{p}.epsilon"),
                        "inconsistent",
                        "give either `epsilon` (constant) or both `c` and `d` (ε_t = min(1, cK/(d²t)))",
                        "epsilon, or c and d",
                    ));
                }
            },
            PolicySpec::ExploreThenCommit { label, m, arithmetic } => {
                let vals = swept(format!("{p}.m"), &Some(m.clone()), 0)?;
                for &x in &vals {
                    if x < 1 {
                        return Err(invalid(format!("{p}.m"), x, "pulls of each arm before committing", "1 or more"));
                    }
                    let base = if *arithmetic == Arithmetic::Fixed { "ETC-fixed" } else { "ETC" };
                    out.push((
                        one_label(label, vals.len(), fmt_param("m", x as f64, vals.len() > 1, base)),
                        PolicyConfig::ExploreThenCommit { m: x as u64 },
                        *arithmetic,
                    ));
                }
            }
            PolicySpec::Exp3 { label, eta } => match eta {
                None => out.push((
                    label.clone().unwrap_or("EXP3".into()),
                    PolicyConfig::Exp3 { eta: None },
                    Arithmetic::Float,
                )),
                Some(_) => {
                    let vals = swept(format!("{p}.eta"), eta, 0.0)?;
                    for &x in &vals {
                        check_pos(format!("{p}.eta"), x)?;
                        out.push((
                            one_label(label, vals.len(), fmt_param("eta", x, vals.len() > 1, "EXP3")),
                            PolicyConfig::Exp3 { eta: Some(x) },
                            Arithmetic::Float,
                        ));
                    }
                }
            },
        }
        if out.is_empty() {
            return Err(invalid(
                p.clone(),
                "an empty list",
                "a swept parameter needs at least one value",
                "a non-empty list",
            ));
        }
        Ok(out
            .into_iter()
            .map(|(label, config, arithmetic)| {
                let bytes = serde_json::to_vec(&(&config, arithmetic)).unwrap_or_default();
                PolicyVariant { label, config, arithmetic, tag: mix64(content_hash(&bytes)) as u32 }
            })
            .collect())
    }
}

impl BanditSpec {
    /// Checks every field; `horizons` are the experiment's (already checked) horizons.
    pub fn validate(&self, horizons: &[u64]) -> Result<BanditConfig> {
        if self.instances.is_empty() {
            return Err(invalid("bandit.instances", "[]", "nothing to run", "at least one instance"));
        }
        if self.policies.is_empty() {
            return Err(invalid("bandit.policies", "[]", "nothing to compare", "at least one policy"));
        }
        let instances = self.instances.iter().enumerate().map(|(i, s)| s.check(i)).collect::<Result<Vec<_>>>()?;
        let mut policies = Vec::new();
        for (i, s) in self.policies.iter().enumerate() {
            for v in s.expand(i)? {
                if policies.iter().any(|q: &PolicyVariant| q.label == v.label) {
                    return Err(invalid(
                        format!("bandit.policies[{i}].label"),
                        &v.label,
                        "two policies have the same label",
                        "distinct labels",
                    ));
                }
                // Check the policy against every instance it will meet.
                for (j, inst) in instances.iter().enumerate() {
                    let unit = inst.arms.iter().all(Arm::in_unit_interval);
                    let needs_unit = matches!(
                        v.config,
                        PolicyConfig::KlUcb { gaussian_variance: None, .. }
                            | PolicyConfig::ThompsonBeta
                            | PolicyConfig::Exp3 { .. }
                    );
                    if needs_unit && !unit {
                        return Err(invalid(
                            format!("bandit.policies[{i}].kind"),
                            &v.label,
                            format!(
                                "needs rewards in [0, 1], but bandit.instances[{j}] ('{}') has arms outside it",
                                inst.label
                            ),
                            "a [0, 1]-bounded instance",
                        ));
                    }
                    if v.arithmetic == Arithmetic::Fixed {
                        for &t in horizons {
                            if let Err(why) = fixed_support(&inst.arms, t) {
                                return Err(invalid(
                                    format!("bandit.policies[{i}].arithmetic"),
                                    "fixed",
                                    format!("{why} (bandit.instances[{j}] '{}', horizon {t})", inst.label),
                                    "\"float\", or Bernoulli or Gaussian arms and horizon < 2^25",
                                ));
                            }
                            if let PolicyConfig::ThompsonGaussian { sigma } = v.config {
                                // the draw μ̂ + σZ/√(n+1) must stay in Q12.20 (|θ| < 2047), and σ 2^20 keep 10 bits
                                let top = crate::kernels::bandit::gaussian::max_abs_reward(&inst.arms);
                                let hi = (2047.0 - top) / crate::kernels::bandit::gaussian::Z_MAX;
                                let lo = 1.0 / 1024.0;
                                if !(sigma >= lo && sigma < hi) {
                                    return Err(invalid(
                                        format!("bandit.policies[{i}].sigma"),
                                        sigma,
                                        format!(
                                            "the fixed-point draws need 6.338 σ + max(|μ| + 6.338 σ_arm) < 2047 on bandit.instances[{j}] '{}' and σ 2^20 ≥ 1024",
                                            inst.label
                                        ),
                                        format!("[{lo}, {hi:.3}) with arithmetic = \"fixed\""),
                                    ));
                                }
                            }
                            if let Some(rule) = v.fixed_rule()
                                && let Err(why) = fixed_rule_support(&inst.arms, t, rule)
                            {
                                return Err(invalid(
                                    format!("bandit.policies[{i}].arithmetic"),
                                    "fixed",
                                    format!("{why} (bandit.instances[{j}] '{}', horizon {t})", inst.label),
                                    "\"float\", or parameters within the fixed-point ranges",
                                ));
                            }
                            let gaussian = matches!(inst.arms.first(), Some(Arm::Gaussian { .. }));
                            if let PolicyConfig::UcbV { zeta, c, b } = v.config {
                                let lt = (t.max(2) as f64).ln();
                                let top = 1.0 + 0.5 * (2.0 * zeta * lt).sqrt() + 3.0 * c * b * zeta * lt;
                                if top >= 256.0 {
                                    return Err(invalid(
                                        format!("bandit.policies[{i}].zeta"),
                                        zeta,
                                        format!(
                                            "the Q8.24 UCB-V index overflows at horizon {t}: 1 + sqrt(2ζ ln T)/2 + 3cbζ ln T = {top:.1}"
                                        ),
                                        "parameters with 1 + sqrt(2ζ ln T)/2 + 3cbζ ln T < 256 when arithmetic = \"fixed\"",
                                    ));
                                }
                            }
                            if let PolicyConfig::Ucb1 { alpha } = v.config
                                && !gaussian
                                && alpha >= max_fixed_alpha(t)
                            {
                                return Err(invalid(
                                    format!("bandit.policies[{i}].alpha"),
                                    alpha,
                                    format!("the Q4.28 index overflows at horizon {t} (α ln T must stay below 225)"),
                                    format!("(0, {:.4}) with arithmetic = \"fixed\"", max_fixed_alpha(t)),
                                ));
                            }
                        }
                    }
                    if let PolicyConfig::ExploreThenCommit { m } = v.config
                        && let Some(&t) = horizons.iter().min()
                        && m.saturating_mul(inst.arms.len() as u64) > t
                    {
                        let k = inst.arms.len() as u64;
                        let allowed = if t >= k {
                            format!("1 ..= {} (m K ≤ horizon {t} with K = {k})", t / k)
                        } else {
                            format!("none: horizon {t} is shorter than K = {k}")
                        };
                        return Err(invalid(
                            format!("bandit.policies[{i}].m"),
                            m,
                            format!("exploration of m K = {} pulls does not fit in the horizon", m.saturating_mul(k)),
                            allowed,
                        ));
                    }
                }
                policies.push(v);
            }
        }
        for (j, inst) in instances.iter().enumerate() {
            if let Some(i) = instances[..j].iter().position(|o| o.label == inst.label) {
                return Err(invalid(
                    format!("bandit.instances[{j}].label"),
                    &inst.label,
                    format!("bandit.instances[{i}] has the same label"),
                    "distinct labels",
                ));
            }
        }
        Ok(BanditConfig { instances, policies })
    }
}

impl PolicyVariant {
    pub fn fixed_rule(&self) -> Option<FixedRule> {
        match (self.arithmetic, &self.config) {
            (Arithmetic::Fixed, PolicyConfig::Ucb1 { alpha }) => Some(FixedRule::Ucb1 { alpha: *alpha }),
            (Arithmetic::Fixed, PolicyConfig::Moss) => Some(FixedRule::Moss),
            (Arithmetic::Fixed, PolicyConfig::UcbV { zeta, c, b }) => {
                Some(FixedRule::UcbV { zeta: *zeta, c: *c, b: *b })
            }
            (Arithmetic::Fixed, PolicyConfig::ExploreThenCommit { m }) => Some(FixedRule::Etc { m: *m }),
            (Arithmetic::Fixed, PolicyConfig::KlUcb { c, gaussian_variance: None }) => Some(FixedRule::KlUcb { c: *c }),
            (Arithmetic::Fixed, PolicyConfig::EpsilonGreedy { epsilon, c, d }) => {
                Some(FixedRule::EpsGreedy { epsilon: *epsilon, c: *c, d: *d, tag: self.tag })
            }
            (Arithmetic::Fixed, PolicyConfig::ThompsonGaussian { sigma }) => {
                Some(FixedRule::Thompson { sigma: *sigma, tag: self.tag })
            }
            _ => None,
        }
    }
}
