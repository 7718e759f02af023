//! Claims as data: each paper's checkable claims (`claims/<paper>.toml`, embedded at build time)
//! with the experiment that measures each, the statistic and its tolerance ([`Check`]), and the
//! verdict we assert on the committed full-size run. `regretlab reproduce` evaluates them on
//! fresh or committed runs and writes a report; `tests/claims_registry.rs` evaluates them on
//! the committed runs and fails when a verdict differs from the registry's, so the report, the
//! README (which quotes the reports) and the tests read the same definitions.
//!
//! Claim ids follow the "Checks" section of `../shared/papers/<paper>.md` (e.g. `1b` is check 1,
//! item (b)), with a suffix where an item holds several claims.

mod checks;
mod report;
mod run_data;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use checks::{Check, Outcome, Side, Verdict, least_squares};
pub use report::{html, markdown};
pub use run_data::RunData;

use crate::error::{Error, Result};

/// Every `claims/*.toml` (file stem, text).
pub static REGISTRY: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/claims.rs"));

/// One paper's claims.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// The registry file's stem, also the paper's name in `../shared/papers/`.
    #[serde(skip)]
    pub name: String,
    pub title: String,
    pub claim: Vec<Claim>,
}

/// One checkable claim.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// What the paper claims, in our words.
    pub statement: String,
    /// The paper's own value or wording (figure, theorem, number).
    pub paper_value: String,
    /// The built-in experiment that measures it (none for `test` and `by_construction` checks).
    pub experiment: Option<String>,
    pub check: Check,
    /// The verdict on the committed full-size run, asserted by `tests/claims_registry.rs`.
    pub expected: Verdict,
    /// The verdict at the experiment's `[quick]` size, asserted by `tests/claims_registry.rs` on
    /// a fresh quick run (a claim whose checkpoints the quick run does not reach is
    /// `not_checked` there). Required for every claim that reads a run.
    pub quick: Option<Verdict>,
    /// What a reader should know about the verdict (why it does not hold, at which size).
    pub note: Option<String>,
}

/// Every paper of the registry, checked: unique ids, experiments that exist, and a run for every
/// check that reads one.
pub fn papers() -> Result<Vec<Paper>> {
    REGISTRY.iter().map(|(name, text)| parse(name, text)).collect()
}

/// One paper by name, or an error listing the names.
pub fn paper(name: &str) -> Result<Paper> {
    let all = papers()?;
    let names: Vec<String> = all.iter().map(|p| p.name.clone()).collect();
    all.into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::Claim(format!("no paper `{name}` in the registry; allowed: {}, all", names.join(", "))))
}

fn parse(name: &str, text: &str) -> Result<Paper> {
    let mut p: Paper = toml::from_str(text)
        .map_err(|e| Error::Malformed { path: format!("claims/{name}.toml"), message: e.to_string() })?;
    p.name = name.to_string();
    let mut seen = std::collections::BTreeSet::new();
    for c in &p.claim {
        let bad = |m: String| Error::Claim(format!("claims/{name}.toml, claim `{}`: {m}", c.id));
        if !seen.insert(c.id.clone()) {
            return Err(bad("the id is used twice".into()));
        }
        if c.check.needs_run() && c.quick.is_none() {
            return Err(bad("its check reads a run: state its `quick` verdict too".into()));
        }
        match (&c.experiment, c.check.needs_run()) {
            (None, true) => return Err(bad("its check reads a run: name the `experiment`".into())),
            (Some(e), _) if !crate::experiment::BUILTIN.iter().any(|(n, _)| n == e) => {
                return Err(bad(format!("`{e}` is not a built-in experiment (see `regretlab list`)")));
            }
            _ => {}
        }
    }
    Ok(p)
}

impl Paper {
    /// The experiments its claims read, in first-use order.
    pub fn experiments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.claim {
            if let Some(e) = &c.experiment
                && c.check.needs_run()
                && !out.contains(e)
            {
                out.push(e.clone());
            }
        }
        out
    }

    /// Every claim checked on the runs under `root` (`root/<experiment>/`). A claim whose run is
    /// missing or unreadable, or whose check does not fit the run (a reduced-size run without
    /// the checkpoints it reads), is "not checked", with why: the other claims are still checked.
    pub fn evaluate(&self, root: &Path) -> Vec<(Claim, Outcome)> {
        let mut runs: BTreeMap<String, std::result::Result<RunData, String>> = BTreeMap::new();
        for e in self.experiments() {
            runs.insert(e.clone(), RunData::read(&root.join(&e)).map_err(|err| err.to_string()));
        }
        self.claim
            .iter()
            .map(|c| {
                let run = match c.experiment.as_ref().filter(|_| c.check.needs_run()).map(|e| &runs[e]) {
                    Some(Err(why)) => return (c.clone(), not_checked(format!("no run: {why}"))),
                    Some(Ok(r)) => Some(r),
                    None => None,
                };
                let out = c
                    .check
                    .evaluate(run)
                    .unwrap_or_else(|e| not_checked(format!("cannot be checked on this run: {e}")));
                (c.clone(), out)
            })
            .collect()
    }
}

fn not_checked(why: String) -> Outcome {
    Outcome { verdict: Verdict::NotChecked, ours: why, details: vec![] }
}
