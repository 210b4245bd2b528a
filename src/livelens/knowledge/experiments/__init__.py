"""Experiments in a live room: switchback designs and their honest analysis.

A live room has one audience at a time, so viewers cannot be split into arms; time is. A
switchback design (:mod:`~livelens.knowledge.experiments.switchback`) cuts the session into
slices, randomises each to treatment or control and leaves a washout at the start of each slice
for carry-over. The analysis (:mod:`~livelens.knowledge.experiments.analysis`) compares the
slices' outcomes with slice-level standard errors, optionally adjusted with a pre-period
covariate (:mod:`~livelens.knowledge.experiments.cuped`); sequential monitoring
(:mod:`~livelens.knowledge.experiments.sequential`) allows looking at every slice without
inflating false positives, and a sample-ratio check (:mod:`~livelens.knowledge.experiments.srm`)
warns when the data do not match the design. All pure: arrays and schedules in, results out.
See docs/experiments.md.
"""
