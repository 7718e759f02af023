//! The conformance suite: every experiment compiled into the binary (every file in
//! `experiments/`, found automatically) runs at its `--quick` size on the serial engine with one
//! thread, on the rayon engine with two, and as three shards merged, and all three write the
//! same bytes. A new experiment (or setting, through its experiments) joins by existing.
//!
//! Experiments that read a data set that may not be redistributed (MovieLens) run on a small
//! data set in the same format that the test writes itself.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use regretlab::engine::EngineKind;
use regretlab::experiment::{BUILTIN, RunOptions, Shard, merge, run_shard};
use regretlab::spec::{Overrides, parse};

/// What must be byte-identical (figures, the manifest and the table hold timings and paths).
const FILES: [&str; 6] = ["curves.csv", "final.csv", "summary.csv", "paired.csv", "overlays.csv", "heatmap.csv"];

fn opts(out: &Path, engine: EngineKind, threads: usize) -> RunOptions {
    RunOptions { engine, threads, out: Some(out.to_path_buf()), progress: false, kernel: "auto".into() }
}

/// A MovieLens-format data set of 30 movies and 40 users, for the experiments that read one.
fn movielens_fixture(dir: &Path) {
    use regretlab::settings::cascading::movielens::{GENRES, INTER_HEADER, ITEM_HEADER};
    std::fs::create_dir_all(dir).unwrap();
    let mut inter = format!("{INTER_HEADER}\n");
    let mut t = 0;
    for u in 1..=40u32 {
        for m in 1..=30u32 {
            if (u * 3 + m) % 4 != 0 {
                t += 1;
                inter.push_str(&format!("{u}\t{m}\t{}\t{t}\n", 1 + (u * 7 + m * 3) % 5));
            }
        }
    }
    std::fs::write(dir.join("ml-100k.inter"), inter).unwrap();
    let mut item = format!("{ITEM_HEADER}\n");
    for m in 1..=30usize {
        item.push_str(&format!(
            "{m}\tmovie {m}\t1995\t{} {}\n",
            GENRES[m % GENRES.len()],
            GENRES[(m * 7) % GENRES.len()]
        ));
    }
    std::fs::write(dir.join("ml-100k.item"), item).unwrap();
}

fn same(name: &str, what: &str, a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (std::fs::read(a.join(f)).ok(), std::fs::read(b.join(f)).ok());
        assert!(x.is_some() || f == "heatmap.csv", "{name}: {f} missing");
        assert!(x == y, "{name}: {f} differs between the serial engine and {what}");
    }
}

fn conform(name: &str, text: &str, data: &Path) {
    let text = text.replace("kind = \"movielens\",", &format!("kind = \"movielens\", dir = \"{}\",", data.display()));
    let spec = || parse(&text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let ov = Overrides { quick: true, ..Default::default() };
    let root = tmp(&format!("conformance-{name}"));
    let serial = root.join("serial");
    regretlab::experiment::run(spec(), &ov, &opts(&serial, EngineKind::Serial, 1), None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let rayon = root.join("rayon");
    regretlab::experiment::run(spec(), &ov, &opts(&rayon, EngineKind::Rayon, 2), None).unwrap();
    same(name, "the rayon engine on 2 threads", &serial, &rayon);
    let sharded: PathBuf = root.join("sharded");
    // shards in reverse order: neither the layout nor the order changes a number
    for i in (0..3).rev() {
        run_shard(spec(), &ov, &opts(&sharded, EngineKind::Rayon, 2), Shard::new(i, 3).unwrap(), None).unwrap();
    }
    merge(&regretlab::results::cells::store_dir(&sharded), Some(sharded.clone())).unwrap();
    same(name, "3 shards merged", &serial, &sharded);
    let _ = std::fs::remove_dir_all(&root);
}

/// Every registered setting has an experiment (so the suite above runs it), and every job of
/// every experiment records exactly the metrics its setting declares, in the same order (the
/// two lists come from different places: the setting's checked config and each simulation).
#[test]
fn every_setting_is_covered_and_declares_its_jobs_metrics() {
    let data = tmp("conformance-movielens-metrics");
    movielens_fixture(&data);
    let mut seen: Vec<&str> = Vec::new();
    for (name, text) in BUILTIN {
        let text =
            text.replace("kind = \"movielens\",", &format!("kind = \"movielens\", dir = \"{}\",", data.display()));
        let exp = parse(&text, name).unwrap().validate(&Overrides { quick: true, ..Default::default() }).unwrap();
        seen.push(exp.table);
        let declared: Vec<String> = exp.setting.metrics().iter().map(|m| m.to_string()).collect();
        for job in exp.jobs(regretlab::kernels::KernelChoice::Auto) {
            assert_eq!(
                job.sim.metrics(),
                declared,
                "{name}: job '{}' records other metrics than its setting declares",
                job.series
            );
        }
    }
    for r in regretlab::settings::REGISTRY {
        assert!(seen.contains(&r.table), "setting [{}] has no experiment in experiments/", r.table);
    }
}

#[test]
fn every_experiment_gives_the_same_bytes_on_every_engine_and_shard_layout() {
    let data = tmp("conformance-movielens");
    movielens_fixture(&data);
    assert!(BUILTIN.len() >= 19, "{} experiments", BUILTIN.len());
    for (name, text) in BUILTIN {
        conform(name, text, &data);
    }
}
