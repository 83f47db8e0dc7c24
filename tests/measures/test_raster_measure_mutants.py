"""Tests written for the surviving mutants of siteplan/measures/raster.py and siteplan/layers/raster.py (docs/mutation-report.md)."""
