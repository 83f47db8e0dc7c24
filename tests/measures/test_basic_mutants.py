"""Tests written for the surviving mutants of siteplan/measures/basic.py (straight-line distances, areas, counts) (docs/mutation-report.md)."""
