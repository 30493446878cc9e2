//! Precision and recall on Panther's 453 labelled CloudTrail events (expected_result true =
//! positive), each event run on its own. The figures are in docs/DETECTIONS.md; this test
//! fails if they regress.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod common;

use common::*;
use mlguard_core::Severity;
use mlguard_trail::{DetectOptions, Detector};
use std::sync::Arc;

struct Confusion {
    tp: u32,
    fp: u32,
    fneg: u32,
    tn: u32,
}

impl Confusion {
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from(self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from(self.tp + self.fneg)
    }
}

fn measure(threshold: Severity) -> Confusion {
    let set = Arc::new(sigma());
    let text = std::fs::read_to_string(shared("data/cloudtrail/panther-analysis-tests/cloudtrail_rule_tests.jsonl")).unwrap();
    let mut c = Confusion { tp: 0, fp: 0, fneg: 0, tn: 0 };
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let expected = v["expected_result"].as_bool().unwrap();
        let mut d = Detector::new(DetectOptions { sigma: set.clone(), ..DetectOptions::default() });
        let mut diags = Vec::new();
        d.process_bytes(v["event"].to_string().as_bytes(), "panther", "line", &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let flagged = d.finish().findings.iter().any(|f| f.severity >= threshold);
        match (expected, flagged) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (true, false) => c.fneg += 1,
            (false, false) => c.tn += 1,
        }
    }
    assert_eq!(c.tp + c.fp + c.fneg + c.tn, 453);
    assert_eq!(c.tp + c.fneg, 208);
    c
}

#[test]
fn precision_and_recall_at_medium_do_not_regress() {
    let c = measure(Severity::Medium);
    eprintln!("medium: tp {} fp {} fn {} tn {} precision {:.3} recall {:.3}", c.tp, c.fp, c.fneg, c.tn, c.precision(), c.recall());
    // Documented: 73 TP, 36 FP, 135 FN (precision 0.670, recall 0.351).
    assert!(c.precision() >= 73.0 / 109.0 - 1e-9, "precision {:.3} < 0.670", c.precision());
    assert!(c.recall() >= 73.0 / 208.0 - 1e-9, "recall {:.3} < 0.351", c.recall());
}

#[test]
fn any_severity_operating_point_as_documented() {
    let c = measure(Severity::Informational);
    eprintln!("any: tp {} fp {} fn {} tn {} precision {:.3} recall {:.3}", c.tp, c.fp, c.fneg, c.tn, c.precision(), c.recall());
    // Documented: 149 TP, 128 FP, 59 FN (precision 0.538, recall 0.716).
    assert!(c.recall() >= 149.0 / 208.0 - 1e-9, "recall {:.3} < 0.716", c.recall());
    assert!(c.precision() >= 149.0 / 277.0 - 1e-9, "precision {:.3} < 0.538", c.precision());
}
