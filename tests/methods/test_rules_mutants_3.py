"""Tests written for the surviving mutants of siteplan/methods (constraints, transforms, aggregation, weights) (docs/mutation-report.md)."""
