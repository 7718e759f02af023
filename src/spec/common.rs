//! Spec helpers every setting uses: a value-or-sweep field ([`OneOrMany`]) and the check that
//! labels stay distinct as file names ([`check_labels`]), instance files relative to the spec
//! ([`resolve_file`]). Model errors become spec errors with
//! [`crate::error::ModelError::in_spec`].

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};

/// A scalar or a list of values; a list is a sweep.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged, expecting = "a value or a list of values")]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn values(&self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Checks the labels of a list of instances: distinct after slugging (they name figure files).
pub fn check_labels(field: &str, labels: &[String]) -> Result<()> {
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[..i] {
            if crate::plot::slug(a) == crate::plot::slug(b) {
                return Err(invalid(
                    format!("{field}.label"),
                    format!("'{b}' and '{a}'"),
                    "labels name figure files",
                    "labels that differ in letters or digits",
                ));
            }
        }
    }
    Ok(())
}

/// Makes a relative instance-file path relative to `base` (the spec's folder), labelling the
/// instance by the path as written when it has no label; true if the path changed.
pub fn resolve_file(file: &mut Option<String>, label: &mut Option<String>, base: &std::path::Path) -> bool {
    match file {
        Some(p) if std::path::Path::new(p.as_str()).is_relative() => {
            label.get_or_insert_with(|| p.clone());
            *p = base.join(p.as_str()).display().to_string();
            true
        }
        _ => false,
    }
}
