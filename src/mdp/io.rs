//! Models from files: a JSON format, and numpy `.npy` arrays (the layout pymdptoolbox and the
//! B2 anchors use: P with shape (A, S, S), R with shape (S, A)). The `.npy` reader handles the
//! little-endian float64 C-order arrays numpy writes by default; anything else is refused with
//! a message naming the file.

use std::path::Path;

use ndarray::{Array2, Array3};
use serde::Deserialize;

use super::ModelError;
use super::model::TabularMdp;

/// The JSON model format: dense `transitions[s][a][s']`, or `sparse_transitions` as
/// `[s, a, s', p]` entries; `rewards[s][a]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub states: usize,
    pub actions: usize,
    pub transitions: Option<Vec<Vec<Vec<f64>>>>,
    pub sparse_transitions: Option<Vec<(usize, usize, usize, f64)>>,
    pub rewards: Vec<Vec<f64>>,
}

fn file_err(path: &Path, message: impl Into<String>) -> ModelError {
    ModelError::File { path: path.display().to_string(), message: message.into() }
}

/// Largest model file read (a dense 65,536-state model does not fit anyway; a device such as
/// /dev/zero would be read forever).
pub const MAX_MODEL_FILE: u64 = 1 << 30;

/// A model file's bytes: a regular file of at most [`MAX_MODEL_FILE`] bytes.
pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, ModelError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| file_err(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(file_err(path, "not a regular file (a model file is read whole)"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_MODEL_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| file_err(path, e.to_string()))?;
    if bytes.len() as u64 > MAX_MODEL_FILE {
        return Err(file_err(path, format!("larger than {MAX_MODEL_FILE} bytes, the most a model file may have")));
    }
    Ok(bytes)
}

/// Reads a JSON model; shape and probability errors name the file and the entry.
pub fn read_json(path: &Path) -> Result<TabularMdp, ModelError> {
    let text = String::from_utf8(read_capped(path)?).map_err(|e| file_err(path, e.to_string()))?;
    let m: ModelFile = serde_json::from_str(&text).map_err(|e| file_err(path, e.to_string()))?;
    let in_file = |e: ModelError| file_err(path, e.to_string());
    let (s, a) = (m.states, m.actions);
    if !(1..=1 << 16).contains(&s) || !(1..=4096).contains(&a) {
        return Err(file_err(
            path,
            format!("states = {s}, actions = {a}: allowed 1 ..= 65536 states and 1 ..= 4096 actions"),
        ));
    }
    if m.rewards.len() != s || m.rewards.iter().any(|r| r.len() != a) {
        return Err(file_err(path, format!("rewards: expected {s} rows of {a} values")));
    }
    let r = Array2::from_shape_fn((s, a), |(i, k)| m.rewards[i][k]);
    match (m.transitions, m.sparse_transitions) {
        (Some(t), None) => {
            if t.len() != s || t.iter().any(|x| x.len() != a || x.iter().any(|y| y.len() != s)) {
                return Err(file_err(path, format!("transitions: expected shape [{s}][{a}][{s}]")));
            }
            let p = Array3::from_shape_fn((s, a, s), |(i, k, j)| t[i][k][j]);
            TabularMdp::dense(p, r).map_err(in_file)
        }
        (None, Some(entries)) => {
            let mut rows = vec![Vec::new(); s * a];
            for (n, &(i, k, j, q)) in entries.iter().enumerate() {
                if i >= s || k >= a {
                    return Err(file_err(
                        path,
                        format!("sparse_transitions[{n}]: state {i} or action {k} out of range (S = {s}, A = {a})"),
                    ));
                }
                rows[i * a + k].push((j, q));
            }
            TabularMdp::sparse(s, a, rows, r).map_err(in_file)
        }
        _ => Err(file_err(path, "give exactly one of `transitions` (dense) and `sparse_transitions`")),
    }
}

/// A float64 array from a `.npy` file: (shape, values in C order).
pub fn read_npy(path: &Path) -> Result<(Vec<usize>, Vec<f64>), ModelError> {
    let bytes = read_capped(path)?;
    parse_npy(&bytes).map_err(|m| file_err(path, m))
}

fn parse_npy(b: &[u8]) -> Result<(Vec<usize>, Vec<f64>), String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a .npy file (bad magic)".into());
    }
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = b.get(start..start + hlen).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let field = |key: &str| -> Result<&str, String> {
        let i = header.find(&format!("'{key}'")).ok_or(format!("header has no '{key}'"))?;
        let rest = header[i + key.len() + 2..].trim_start().strip_prefix(':').ok_or("malformed header")?;
        Ok(rest.trim_start())
    };
    let descr = field("descr")?;
    if !(descr.starts_with("'<f8'") || descr.starts_with("'float64'")) {
        return Err(format!("dtype {} is not little-endian float64 ('<f8')", descr.split(',').next().unwrap_or("")));
    }
    if field("fortran_order")?.starts_with("True") {
        return Err("Fortran-order arrays are not supported (save with np.ascontiguousarray)".into());
    }
    let shape_txt = field("shape")?.strip_prefix('(').ok_or("malformed shape")?;
    let close = shape_txt.find(')').ok_or("malformed shape")?;
    let shape: Vec<usize> = shape_txt[..close]
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<usize>().map_err(|_| format!("bad shape entry {x:?}")))
        .collect::<Result<_, _>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= 1 << 32)
        .ok_or(format!("shape {shape:?} has more than 2^32 elements"))?;
    let data = &b[start + hlen..];
    if data.len() != 8 * n {
        return Err(format!("expected {} data bytes for shape {shape:?}, found {}", 8 * n, data.len()));
    }
    let values = data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    Ok((shape, values))
}

/// A dense model from numpy arrays in pymdptoolbox's layout: P of shape (A, S, S), R of shape
/// (S, A).
pub fn read_npy_model(p_path: &Path, r_path: &Path) -> Result<TabularMdp, ModelError> {
    let (ps, pv) = read_npy(p_path)?;
    let (rs, rv) = read_npy(r_path)?;
    let [a, s, s2] = ps[..] else {
        return Err(file_err(p_path, format!("P must have shape (A, S, S), found {ps:?}")));
    };
    if s2 != s {
        return Err(file_err(p_path, format!("P must have shape (A, S, S), found {ps:?}")));
    }
    if rs != [s, a] {
        return Err(file_err(r_path, format!("R must have shape ({s}, {a}) to match P, found {rs:?}")));
    }
    let p = Array3::from_shape_fn((s, a, s), |(i, k, j)| pv[(k * s + i) * s + j]);
    let r = Array2::from_shape_vec((s, a), rv).map_err(|e| file_err(r_path, e.to_string()))?;
    TabularMdp::dense(p, r).map_err(|e| file_err(p_path, e.to_string()))
}

/// Writes a float64 C-order `.npy` (for tests and for exporting models).
pub fn npy_bytes(shape: &[usize], values: &[f64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("regretlab-io-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn npy_round_trip_and_layout() {
        // P[a, s, s'] for A = 2, S = 2.
        let p = [1.0, 0.0, 0.5, 0.5, 0.2, 0.8, 0.0, 1.0];
        let r = [0.1, 0.2, 0.3, 0.4];
        std::fs::write(tmp("p.npy"), npy_bytes(&[2, 2, 2], &p)).unwrap();
        std::fs::write(tmp("r.npy"), npy_bytes(&[2, 2], &r)).unwrap();
        let m = read_npy_model(&tmp("p.npy"), &tmp("r.npy")).unwrap();
        assert_eq!(m.dense_transitions()[[1, 0, 0]], 0.5);
        assert_eq!(m.dense_transitions()[[0, 1, 1]], 0.8);
        assert_eq!(m.reward(1, 0), 0.3);
        std::fs::write(tmp("bad.npy"), b"hello").unwrap();
        // a device is refused at once, not read forever
        let e = read_npy(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_json(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        assert!(read_npy(&tmp("bad.npy")).unwrap_err().to_string().contains("bad.npy: not a .npy file"));
        std::fs::write(tmp("r3.npy"), npy_bytes(&[3, 2], &[0.0; 6])).unwrap();
        let e = read_npy_model(&tmp("p.npy"), &tmp("r3.npy")).unwrap_err().to_string();
        assert!(e.contains("r3.npy") && e.contains("(2, 2)"), "{e}");
    }

    #[test]
    fn malformed_npy_headers_are_errors_not_panics() {
        let header = |shape: &str| {
            let mut h = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
            while (10 + h.len() + 1) % 64 != 0 {
                h.push(' ');
            }
            h.push('\n');
            let mut out = b"\x93NUMPY\x01\x00".to_vec();
            out.extend_from_slice(&(h.len() as u16).to_le_bytes());
            out.extend_from_slice(h.as_bytes());
            out
        };
        for shape in [")(", "(4294967296, 4294967296, 2)", "(x,)", "é"] {
            assert!(parse_npy(&header(shape)).is_err(), "{shape}");
        }
        std::fs::write(
            tmp("zero.json"),
            r#"{"states": 0, "actions": 9999999999999, "transitions": [], "rewards": []}"#,
        )
        .unwrap();
        assert!(read_json(&tmp("zero.json")).unwrap_err().to_string().contains("states = 0"));
    }

    #[test]
    fn json_models_and_their_errors() {
        let ok =
            r#"{"states": 2, "actions": 1, "sparse_transitions": [[0,0,1,1.0],[1,0,1,1.0]], "rewards": [[0.5],[1.0]]}"#;
        std::fs::write(tmp("ok.json"), ok).unwrap();
        let m = read_json(&tmp("ok.json")).unwrap();
        assert_eq!(m.row(0, 0).dot(&[0.0, 2.0]), 2.0);
        let bad =
            r#"{"states": 2, "actions": 1, "transitions": [[[0.7, 0.2]],[[0.0, 1.0]]], "rewards": [[0.5],[1.0]]}"#;
        std::fs::write(tmp("bad.json"), bad).unwrap();
        let e = read_json(&tmp("bad.json")).unwrap_err().to_string();
        assert!(e.contains("bad.json") && e.contains("transitions[s=0, a=0]"), "{e}");
        std::fs::write(
            tmp("shape.json"),
            r#"{"states": 2, "actions": 1, "transitions": [[[1.0]]], "rewards": [[0.5],[1.0]]}"#,
        )
        .unwrap();
        assert!(read_json(&tmp("shape.json")).unwrap_err().to_string().contains("expected shape [2][1][2]"));
    }
}
