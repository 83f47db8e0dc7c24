"""Tests written for the surviving mutants of the objective builders of selection and allocation (siteplan/locate) (docs/mutation-report.md)."""
