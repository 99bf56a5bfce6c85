//! Grouping accuracy (GA, Zhu et al. 2019) of the pattern miner on labelled
//! logs: for every `NAME.log` with a `NAME.patterns.tsv` (columns `line`,
//! `pattern`, `template`) in the given directories, mines the raw lines in
//! order, maps each line's stored id to its final template (as a store's
//! read does) and counts a line right when the set of lines of its pattern
//! equals the set of lines of its true template. Prints GA per file, the
//! number of templates found and true, and the mean.
//!
//! `cargo run --release --example patterns_ga -- ../shared/fixtures/real-logs`
//! (`-v` also prints the worst-split true templates).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use loghub::pattern::{Miner, PatternId, resolve};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let dirs: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    let mut files: Vec<PathBuf> = Vec::new();
    for d in &dirs {
        let mut found: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .filter(|p| p.with_extension("patterns.tsv").exists())
            .collect();
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        eprintln!("usage: patterns_ga DIR… (holding NAME.log and NAME.patterns.tsv)");
        std::process::exit(2);
    }
    let mut sum = 0.0;
    for f in &files {
        let (ga, found, truth) = grouping_accuracy(f, verbose);
        println!(
            "{:<20} GA {ga:.3}  templates found {found:>4}  true {truth:>4}",
            f.file_name().unwrap().to_string_lossy()
        );
        sum += ga;
    }
    println!(
        "mean GA {:.3} over {} files",
        sum / files.len() as f64,
        files.len()
    );
}

fn grouping_accuracy(log: &Path, verbose: bool) -> (f64, usize, usize) {
    let text = std::fs::read(log).expect("read log");
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    let truth_text = std::fs::read_to_string(log.with_extension("patterns.tsv")).expect("read tsv");
    let mut truth: HashMap<usize, String> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for row in truth_text.lines().skip(1) {
        let mut cols = row.splitn(3, '\t');
        let (Some(n), Some(p)) = (cols.next(), cols.next()) else {
            continue;
        };
        if let Ok(n) = n.parse::<usize>() {
            truth.insert(n - 1, p.to_string());
            names.insert(p.to_string(), cols.next().unwrap_or("").to_string());
        }
    }
    let mut miner = Miner::new();
    let mut aliases: HashMap<PatternId, PatternId> = HashMap::new();
    let mut stored = Vec::with_capacity(lines.len());
    for l in &lines {
        stored.push(miner.mine(l).id);
        for a in miner.take_changes().0 {
            aliases.insert(a.from, a.to);
        }
    }
    let got: Vec<PatternId> = stored.iter().map(|id| resolve(&aliases, *id)).collect();
    let mut by_got: HashMap<PatternId, Vec<usize>> = HashMap::new();
    let mut by_true: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, id) in got.iter().enumerate() {
        if let Some(t) = truth.get(&i) {
            by_got.entry(*id).or_default().push(i);
            by_true.entry(t).or_default().push(i);
        }
    }
    let mut right = 0usize;
    let mut wrong: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (t, set) in &by_true {
        let first = got[set[0]];
        if by_got[&first] == *set {
            right += set.len();
        } else {
            let parts = set
                .iter()
                .map(|i| got[*i])
                .collect::<std::collections::HashSet<_>>();
            wrong.insert(t.to_string(), (set.len(), parts.len()));
        }
    }
    if verbose {
        let mut w: Vec<_> = wrong.into_iter().collect();
        w.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
        for (t, (n, parts)) in w.iter().take(15) {
            let ex = by_true[t.as_str()][0];
            println!(
                "  {t} ({n} lines in {parts} patterns): {}\n      truth: {}\n      line:  {}",
                got[ex], names[t], lines[ex]
            );
        }
    }
    (
        right as f64 / truth.len() as f64,
        by_got.len(),
        by_true.len(),
    )
}
