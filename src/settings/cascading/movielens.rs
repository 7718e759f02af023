//! The MovieLens-100K cascading MDP. The data may not be redistributed, so it is never committed:
//! `regretlab data movielens` obtains it from the `recbole==1.2.1` wheel on PyPI (through pip),
//! whose `ml-100k.inter` and `ml-100k.item` are tab-separated files with a typed header, and
//! extracts them into a cache folder.
//!
//! The construction (the paper does not spell it out; this one is documented in the README):
//! - each user's ratings are read in time order; a rating ≥ 4 is a "like";
//! - state: 0 before the user's first like, else 1 + the index of the first listed genre of the
//!   last liked movie among the 19 genres of the data set (S = 20);
//! - items: the N most-rated movies (ties by id);
//! - q(s,a) = (likes + 1)/(ratings + 2) over the ratings of movie a given in state s (Laplace);
//! - r(s,a) = (mean rating of a in state s, shrunk toward the movie's overall mean by one
//!   pseudo-rating, − 1)/4 ∈ [0, 1];
//! - a click on a moves the user to the state of a's first genre; no click keeps the state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Array3};

use super::model::CascadingMdp;
use crate::error::ModelError;
use crate::error::{Error, Result};
use crate::rng::content_hash;

pub const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];
pub const INTER_HEADER: &str = "user_id:token\titem_id:token\trating:float\ttimestamp:float";
pub const ITEM_HEADER: &str = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq";
pub const STATES: usize = GENRES.len() + 1;

/// The parsed files.
#[derive(Clone, Debug)]
pub struct MovieLens {
    /// (user, item, rating, timestamp)
    pub ratings: Vec<(u32, u32, f64, f64)>,
    /// item → genre indices, in the order listed.
    pub genres: HashMap<u32, Vec<usize>>,
    /// Hash of both files' bytes (recorded in the cell's content).
    pub hash: u64,
}

/// Where `regretlab data movielens` puts the files: `$REGRETLAB_DATA/ml-100k`, else
/// `$XDG_CACHE_HOME/regretlab/ml-100k`, else `~/.cache/regretlab/ml-100k`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("REGRETLAB_DATA") {
        return PathBuf::from(d).join("ml-100k");
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("regretlab").join("ml-100k")
}

fn bad_file(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::BadResults { path: path.to_path_buf(), message: format!("line {line}: {}", message.into()) }
}

/// Reads `ml-100k.inter` and `ml-100k.item` from `dir`; a wrong header or a malformed row is an
/// error naming the file and the line.
pub fn load(dir: &Path) -> Result<MovieLens> {
    let inter = dir.join("ml-100k.inter");
    let item = dir.join("ml-100k.item");
    for p in [&inter, &item] {
        if !p.is_file() {
            return Err(Error::BadResults { path: p.clone(), message: "missing: run `regretlab data movielens` first (it downloads the recbole 1.2.1 wheel with pip and extracts the data)".into() });
        }
    }
    let ti = std::fs::read_to_string(&inter).map_err(crate::error::io(&inter))?;
    let tm = std::fs::read_to_string(&item).map_err(crate::error::io(&item))?;
    let mut lines = ti.lines();
    if lines.next().map(|h| h.trim_end_matches('\r')) != Some(INTER_HEADER) {
        return Err(bad_file(&inter, 1, format!("header must be {INTER_HEADER:?}")));
    }
    let mut ratings = Vec::new();
    let mut line_of = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let parsed = (|| -> Option<(u32, u32, f64, f64)> {
            if f.len() != 4 {
                return None;
            }
            Some((f[0].parse().ok()?, f[1].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?))
        })();
        match parsed {
            Some(r) if !r.3.is_finite() => {
                return Err(bad_file(&inter, i + 2, format!("timestamp {} is not finite", r.3)));
            }
            Some(r) if (1.0..=5.0).contains(&r.2) => {
                ratings.push(r);
                line_of.push(i + 2);
            }
            Some(r) => return Err(bad_file(&inter, i + 2, format!("rating {} outside 1 ..= 5", r.2))),
            None => {
                return Err(bad_file(
                    &inter,
                    i + 2,
                    format!(
                        "expected 4 tab-separated fields (integer user, integer item, rating, timestamp), found {line:?}"
                    ),
                ));
            }
        }
    }
    let mut lines = tm.lines();
    if lines.next().map(|h| h.trim_end_matches('\r')) != Some(ITEM_HEADER) {
        return Err(bad_file(&item, 1, format!("header must be {ITEM_HEADER:?}")));
    }
    let mut genres = HashMap::new();
    for (i, line) in lines.enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let id: Option<u32> = f.first().and_then(|x| x.parse().ok());
        let (Some(id), 4) = (id, f.len()) else {
            return Err(bad_file(
                &item,
                i + 2,
                format!("expected 4 tab-separated fields (integer item, title, year, genres), found {line:?}"),
            ));
        };
        let mut gs = Vec::new();
        for g in f[3].split(' ').filter(|g| !g.is_empty()) {
            match GENRES.iter().position(|x| *x == g) {
                Some(k) => gs.push(k),
                None => return Err(bad_file(&item, i + 2, format!("unknown genre {g:?}"))),
            }
        }
        if gs.is_empty() {
            gs.push(0);
        }
        if genres.insert(id, gs).is_some() {
            return Err(bad_file(&item, i + 2, format!("item {id} listed twice")));
        }
    }
    if let Some((n, r)) = ratings.iter().enumerate().find(|(_, r)| !genres.contains_key(&r.1)) {
        return Err(bad_file(&inter, line_of[n], format!("item {} is not in {}", r.1, item.display())));
    }
    let mut bytes = ti.into_bytes();
    bytes.extend_from_slice(tm.as_bytes());
    Ok(MovieLens { ratings, genres, hash: content_hash(&bytes) })
}

/// Builds the cascading MDP over the `items` most-rated movies (see the module comment).
pub fn build(
    data: &MovieLens,
    items: usize,
    max_list: usize,
    horizon: usize,
) -> std::result::Result<CascadingMdp, ModelError> {
    let mut count: HashMap<u32, usize> = HashMap::new();
    for r in &data.ratings {
        *count.entry(r.1).or_default() += 1;
    }
    let mut by_count: Vec<(u32, usize)> = count.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if by_count.len() < items {
        return Err(crate::error::bad(
            "items",
            items,
            "the most-rated movies to use",
            format!("1 ..= {} (movies in the data)", by_count.len()),
        ));
    }
    let chosen: Vec<u32> = by_count[..items].iter().map(|x| x.0).collect();
    let index: HashMap<u32, usize> = chosen.iter().enumerate().map(|(i, &m)| (m, i)).collect();
    let first_genre = |m: u32| data.genres.get(&m).and_then(|g| g.first().copied()).unwrap_or(0);

    let mut per_user: HashMap<u32, Vec<(f64, u32, f64)>> = HashMap::new();
    for &(u, m, r, t) in &data.ratings {
        per_user.entry(u).or_default().push((t, m, r));
    }
    let (mut likes, mut seen, mut sum) = (
        Array2::<f64>::zeros((STATES, items)),
        Array2::<f64>::zeros((STATES, items)),
        Array2::<f64>::zeros((STATES, items)),
    );
    let (mut all_sum, mut all_n) = (vec![0.0f64; items], vec![0.0f64; items]);
    let mut users: Vec<u32> = per_user.keys().copied().collect();
    users.sort_unstable();
    for u in users {
        let hist = per_user.get_mut(&u).expect("listed");
        hist.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut state = 0usize;
        for &(_, m, r) in hist.iter() {
            if let Some(&a) = index.get(&m) {
                seen[[state, a]] += 1.0;
                sum[[state, a]] += r;
                all_sum[a] += r;
                all_n[a] += 1.0;
                if r >= 4.0 {
                    likes[[state, a]] += 1.0;
                }
            }
            if r >= 4.0 {
                state = 1 + first_genre(m);
            }
        }
    }
    let q = Array2::from_shape_fn((STATES, items), |(s, a)| (likes[[s, a]] + 1.0) / (seen[[s, a]] + 2.0));
    let r = Array2::from_shape_fn((STATES, items), |(s, a)| {
        let overall = all_sum[a] / all_n[a].max(1.0);
        let mean = (sum[[s, a]] + overall) / (seen[[s, a]] + 1.0);
        ((mean - 1.0) / 4.0).clamp(0.0, 1.0)
    });
    let mut p = Array3::zeros((STATES, items + 1, STATES));
    for s in 0..STATES {
        for (a, &m) in chosen.iter().enumerate() {
            p[[s, a, 1 + first_genre(m)]] = 1.0;
        }
        p[[s, items, s]] = 1.0;
    }
    CascadingMdp::new(q, r, p, max_list, horizon)
}

/// Downloads the recbole 1.2.1 wheel with pip into a temporary folder beside `dir` and extracts
/// the MovieLens-100K files into `dir` (each written to a temporary name, then renamed).
pub fn fetch(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(crate::error::io(dir))?;
    let wheel_dir = dir.join(format!(".wheel-{}", std::process::id()));
    let run = |args: &[&str]| -> Result<()> {
        let out = std::process::Command::new("python3")
            .args(args)
            .output()
            .map_err(crate::error::io(PathBuf::from("python3")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::BadResults {
                path: PathBuf::from("python3"),
                message: format!("{:?} failed: {}", args, String::from_utf8_lossy(&out.stderr).trim()),
            })
        }
    };
    let wd = wheel_dir.display().to_string();
    run(&["-m", "pip", "download", "--no-deps", "--quiet", "recbole==1.2.1", "-d", &wd])?;
    let script = "import sys, zipfile, glob, os\nz = zipfile.ZipFile(glob.glob(os.path.join(sys.argv[1], 'recbole-1.2.1-*.whl'))[0])\nfor e in ('inter', 'item', 'user'):\n    tmp = os.path.join(sys.argv[2], '.ml-100k.' + e + '.tmp')\n    open(tmp, 'wb').write(z.read('recbole/dataset_example/ml-100k/ml-100k.' + e))\n    os.replace(tmp, os.path.join(sys.argv[2], 'ml-100k.' + e))\n";
    let result = run(&["-c", script, &wd, &dir.display().to_string()]);
    let _ = std::fs::remove_dir_all(&wheel_dir);
    result
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small data set in the recbole format, made by the test itself.
    pub fn fixture(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let mut inter = format!("{INTER_HEADER}\n");
        let mut t = 0;
        for u in 1..=12u32 {
            for m in 1..=6u32 {
                if (u + m) % 3 != 0 {
                    t += 1;
                    let r = 1 + (u * 7 + m * 3) % 5;
                    inter.push_str(&format!("{u}\t{m}\t{r}\t{t}\n"));
                }
            }
        }
        std::fs::write(dir.join("ml-100k.inter"), inter).unwrap();
        let item = format!(
            "{ITEM_HEADER}\n1\tA\t1995\tAnimation Children's Comedy\n2\tB\t1995\tAction Adventure Thriller\n3\tC\t1996\tDrama\n4\tD\t1994\tSci-Fi War\n5\tE\t1990\tunknown\n6\tF\t1993\tRomance Comedy\n"
        );
        std::fs::write(dir.join("ml-100k.item"), item).unwrap();
    }

    #[test]
    fn fixture_builds_a_valid_cascading_mdp() {
        let dir = std::env::temp_dir().join(format!("regretlab-ml-{}", std::process::id()));
        fixture(&dir);
        let data = load(&dir).unwrap();
        assert_eq!(data.genres[&4], vec![15, 17]);
        let m = build(&data, 4, 2, 3).unwrap();
        assert_eq!(m.states(), 20);
        assert_eq!(m.items(), 4);
        // No click keeps the state; a click moves to the clicked movie's first genre.
        assert_eq!(m.row(5, 4)[5], 1.0);
        let (v, _) = m.optimum();
        assert!(v[[0, 0]] > 0.0 && v[[0, 0]] <= 3.0);
        assert!(build(&data, 7, 2, 3).unwrap_err().to_string().contains("items = 7"));
    }

    #[test]
    fn malformed_files_name_the_file_and_line() {
        let dir = std::env::temp_dir().join(format!("regretlab-ml-bad-{}", std::process::id()));
        fixture(&dir);
        let good = std::fs::read_to_string(dir.join("ml-100k.inter")).unwrap();
        std::fs::write(dir.join("ml-100k.inter"), good.replacen("user_id:token", "user:token", 1)).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("ml-100k.inter") && e.contains("line 1") && e.contains("header"), "{e}");
        std::fs::write(dir.join("ml-100k.inter"), good.replacen("\n1\t1\t", "\n1\tx\t", 1)).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("ml-100k.inter") && e.contains("line 2"), "{e}");
        std::fs::write(dir.join("ml-100k.inter"), good.clone()).unwrap();
        let item = std::fs::read_to_string(dir.join("ml-100k.item")).unwrap();
        std::fs::write(dir.join("ml-100k.item"), item.replace("Drama", "Cooking")).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("ml-100k.item") && e.contains("line 4") && e.contains("Cooking"), "{e}");
        std::fs::write(dir.join("ml-100k.item"), item.replace("6\tF\t1993\tRomance Comedy\n", "")).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("ml-100k.inter") && e.contains("item 6 is not in"), "{e}");
        std::fs::write(dir.join("ml-100k.item"), item.replace("6\tF", "5\tF")).unwrap();
        let e = load(&dir).unwrap_err().to_string();
        assert!(e.contains("item 5 listed twice") && e.contains("line 7"), "{e}");
        let e = load(&dir.join("nowhere")).unwrap_err().to_string();
        assert!(e.contains("regretlab data movielens"), "{e}");
    }
}
