"""SCI outcome measures: ISNCSCI 2019 classification, instruments defined as
data with one scoring engine, BCI performance metrics and change from baseline.

This package does not import the records store (or any widget): the forms in
:mod:`workbench.ui.forms` save what it computes.
"""
