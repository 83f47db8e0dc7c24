"""Tests written for the surviving mutants of siteplan/layers/population.py (the population model) (docs/mutation-report.md)."""
