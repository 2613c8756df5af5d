//! Cost Explorer access and cost reports.

pub mod report;

pub use report::*;
