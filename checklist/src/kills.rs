//! The kill matrix: per branch, whether breaking it (its mutant, feature `duract/mutants`) made
//! a test that hits it fail. Written by `duract-checklist mutants` ([`crate::mutants`]), read by
//! the checklist command (`--kills`), which shows it beside the hits and gates on it.
//!
//! ```json
//! {
//!   "format": "duract-kills/1",
//!   "table_hash": "fnv1a64:a8300ca62a3d4e87",
//!   "mutants": {
//!     "coordinator/assign_task/if:task_id.is_empty()": {
//!       "outcome": "killed",
//!       "killed_by": ["native: protocol::payloads_that_do_not_decode_are_invalid_payload_with_a_reason"],
//!       "survived": ["native: fuzz::fuzz_frames_get_one_reply_each_with_the_contracts_code"]
//!     }
//!   }
//! }
//! ```
//! `killed_by` are the tests that failed with the mutant on, `survived` those that hit the
//! branch and passed anyway. A branch without an entry was not run: no native test hits it,
//! or it is waived.

use crate::format::TableBranch;
use crate::format::{refuse, Refusal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The host the mutants run on: a branch waived there (on every host, or `host = "native"`)
/// has no mutant to kill; one waived in workerd only must still be killed natively.
pub const MUTANTS_HOST: &str = "native";

/// The `format` of kill matrices this version writes and reads.
pub const KILLS_FORMAT: &str = "duract-kills/1";

/// A kill matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillFile {
    /// [`KILLS_FORMAT`].
    pub format: String,
    /// The fingerprint of the branch table its mutants were made from.
    pub table_hash: String,
    /// Per branch id, the outcome of its mutant.
    pub mutants: BTreeMap<String, Mutant>,
}

/// What became of one branch's mutant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutant {
    /// `killed` or `survived`.
    pub outcome: Outcome,
    /// The tests that failed with it (a test that timed out is named with ` (timeout)`).
    pub killed_by: Vec<String>,
    /// The tests that hit the branch and passed with it.
    pub survived: Vec<String>,
}

/// Whether some test noticed a mutant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A test that hits the branch failed.
    Killed,
    /// Every test that hits the branch passed.
    #[default]
    Survived,
}

/// A branch's mutant as the checklist shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Killed, by these tests.
    Killed(Vec<String>),
    /// Survived: these tests hit the branch without noticing. Fails the gate unless waived.
    Survived(Vec<String>),
    /// Waived in the source: not run.
    Waived,
    /// Not run: no native test hits the branch.
    NotRun,
}

impl KillFile {
    /// A matrix of the table `table_hash`.
    pub fn new(table_hash: &str) -> KillFile {
        KillFile {
            format: KILLS_FORMAT.to_owned(),
            table_hash: table_hash.to_owned(),
            mutants: BTreeMap::new(),
        }
    }

    /// Parses a kill matrix and checks that it was made from the table `table_hash`.
    pub fn load(path: &str, text: &str, table_hash: &str) -> Result<KillFile, Refusal> {
        let file: KillFile = serde_json::from_str(text)
            .map_err(|e| refuse(path, format!("not a kill matrix ({e})")))?;
        if file.format != KILLS_FORMAT {
            return Err(refuse(
                path,
                format!(
                    "kill matrix format `{}`, this command reads `{KILLS_FORMAT}`",
                    file.format
                ),
            ));
        }
        if file.table_hash != table_hash {
            return Err(refuse(
                path,
                format!(
                    "stale kill matrix: made from branch table {}, the current one is {table_hash}: rerun duract-checklist mutants",
                    file.table_hash
                ),
            ));
        }
        Ok(file)
    }

    /// The verdict on `branch`'s mutant.
    pub fn verdict(&self, branch: &TableBranch) -> Verdict {
        match self.mutants.get(&branch.id) {
            Some(m) if m.outcome == Outcome::Killed => Verdict::Killed(m.killed_by.clone()),
            Some(m) => Verdict::Survived(m.survived.clone()),
            None if branch.waived_on(MUTANTS_HOST) => Verdict::Waived,
            None => Verdict::NotRun,
        }
    }

    /// Whether `branch`'s mutant fails the gate: it survived and the branch is not waived.
    pub fn fails(&self, branch: &TableBranch) -> bool {
        !branch.waived_on(MUTANTS_HOST) && matches!(self.verdict(branch), Verdict::Survived(_))
    }

    /// As pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{HitFile, Hits, TableActor, TableFile, HITS_FORMAT};
    use crate::merge::Checklist;
    use crate::render::{self, Detail};

    fn branch(id: &str, line: u32, waiver: Option<&str>) -> TableBranch {
        TableBranch {
            id: id.to_owned(),
            kind: "if_then".to_owned(),
            label: format!("label of {id}"),
            file: "src/a.rs".to_owned(),
            line,
            waiver: waiver.map(str::to_owned),
            waiver_host: None,
        }
    }

    /// `a/x` killed, `a/y` survived, `a/z` survived but waived (equivalent), `a/w` hit by no
    /// native test.
    fn files() -> (TableFile, HitFile, KillFile) {
        let table = TableFile::new(vec![TableActor::new(
            "a",
            "AActor",
            vec![
                branch("a/x", 3, None),
                branch("a/y", 5, None),
                branch(
                    "a/z",
                    7,
                    Some("equivalent mutant: both ways answer the same"),
                ),
                branch("a/w", 9, None),
            ],
        )]);
        let hit = |tests: &[&str]| Hits {
            count: 1,
            tests: tests.iter().map(|t| (*t).to_owned()).collect(),
        };
        let hits = HitFile {
            format: HITS_FORMAT.to_owned(),
            host: "native".to_owned(),
            source: "native-1".to_owned(),
            tables: [("a".to_owned(), table.actors[0].hash.clone())].into(),
            hits: [
                ("a/x".to_owned(), hit(&["bin: t1", "bin: t2"])),
                ("a/y".to_owned(), hit(&["bin: t2"])),
                ("a/z".to_owned(), hit(&["bin: t1"])),
            ]
            .into(),
        };
        let mut kills = KillFile::new(&table.table_hash);
        let mutant = |outcome, killed_by: &[&str], survived: &[&str]| Mutant {
            outcome,
            killed_by: killed_by.iter().map(|t| (*t).to_owned()).collect(),
            survived: survived.iter().map(|t| (*t).to_owned()).collect(),
        };
        kills.mutants = [
            (
                "a/x".to_owned(),
                mutant(Outcome::Killed, &["bin: t1"], &["bin: t2"]),
            ),
            (
                "a/y".to_owned(),
                mutant(Outcome::Survived, &[], &["bin: t2"]),
            ),
            (
                "a/z".to_owned(),
                mutant(Outcome::Survived, &[], &["bin: t1"]),
            ),
        ]
        .into();
        (table, hits, kills)
    }

    /// Runs the command on the files in a fresh directory: (status, stdout, stderr, dir).
    fn command(name: &str, kills: &KillFile) -> (u8, String, String, std::path::PathBuf) {
        let (table, hits, _) = files();
        let dir = std::env::temp_dir().join(format!("duract-kills-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("branches.json"), table.to_json()).unwrap();
        std::fs::write(dir.join("hits.json"), serde_json::to_string(&hits).unwrap()).unwrap();
        std::fs::write(dir.join("kills.json"), kills.to_json()).unwrap();
        let arg = |name: &str| dir.join(name).display().to_string();
        let args = [
            "--table".to_owned(),
            arg("branches.json"),
            "--hits".to_owned(),
            arg("hits.json"),
            "--require".to_owned(),
            "none".to_owned(),
            "--kills".to_owned(),
            arg("kills.json"),
            "--out".to_owned(),
            arg("out"),
        ];
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let status = crate::cli::run(args, &mut stdout, &mut stderr);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (status, text(stdout), text(stderr), dir)
    }

    #[test]
    fn a_surviving_mutant_fails_the_gate_naming_its_branch_line_and_tests() {
        let (_, _, kills) = files();
        let (status, stdout, stderr, dir) = command("survivor", &kills);
        assert_eq!(status, crate::cli::FAILED, "{stdout}\n{stderr}");
        assert!(stdout.contains("mutants killed 1, survived 1"), "{stdout}");
        assert!(
            stderr.contains("mutant survived: a/y (src/a.rs:5) label of a/y; these tests hit it without noticing: bin: t2"),
            "{stderr}"
        );
        // The waived survivor (an equivalent mutant) does not fail the gate.
        assert!(!stderr.contains("a/z"), "{stderr}");
        let markdown = std::fs::read_to_string(dir.join("out/checklist.md")).unwrap();
        assert!(
            markdown.contains("**FAIL**: 1 mutant(s) survived"),
            "{markdown}"
        );
        assert!(markdown.contains(
            "| actor | branches | hit on native | hit in workerd | killed | waived | missing | survived |"
        ));
        assert!(
            // a/z is waived: its incidental hit is not counted.
            markdown.contains("| a | 4 | 2 | 0 | 1 | 0 | 0 | 1 |"),
            "{markdown}"
        );
        assert!(markdown.contains("| `a/x` | label of a/x | src/a.rs:3 | hit | no | killed |"));
        assert!(markdown.contains("**SURVIVED**: not noticed by bin: t2 |"));
        assert!(markdown.contains("| survived: not noticed by bin: t1 |"));
        assert!(markdown.contains("| `a/w` | label of a/w | src/a.rs:9 | no | no | - |"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("out/checklist.json")).unwrap())
                .unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(
            json["mutants"],
            serde_json::json!({"killed": 1, "survived": 1})
        );
        assert_eq!(json["branches"][1]["mutant"]["outcome"], "survived");
        assert_eq!(
            json["branches"][1]["mutant"]["not_noticed_by"][0],
            "bin: t2"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn killing_the_survivor_passes_the_gate() {
        let (_, _, mut kills) = files();
        let y = kills.mutants.get_mut("a/y").unwrap();
        y.outcome = Outcome::Killed;
        y.killed_by = std::mem::take(&mut y.survived);
        let (status, stdout, stderr, dir) = command("killed", &kills);
        assert_eq!(status, crate::cli::PASSED, "{stdout}\n{stderr}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_matrix_of_another_table_is_refused() {
        let (table, _, mut kills) = files();
        kills.table_hash = "fnv1a64:0000000000000000".to_owned();
        let (status, _, stderr, dir) = command("stale", &kills);
        assert_eq!(status, crate::cli::REFUSED);
        assert!(stderr.contains("stale kill matrix"), "{stderr}");
        let loaded = KillFile::load("k", &files().2.to_json(), &table.table_hash).unwrap();
        assert_eq!(loaded, files().2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_full_markdown_names_the_killing_tests() {
        let (table, hits, kills) = files();
        let hits = vec![("h".to_owned(), hits)];
        let mut c = Checklist::merge(&table, &hits, &[]);
        c.kills = Some(kills);
        let full = render::markdown(&c, Detail::Full);
        assert!(full.contains("| killed by bin: t1 |"), "{full}");
    }
}
