"""Crossfade's batch jobs on Apache Spark: ALS training and the weekly/daily mixes.

Read the Parquet export (``crossfade data export``), write what the serving side already
reads: a ranking artifact (``ranking.artifact``) and the store's ``generated_mixes`` table.
The only package that imports pyspark (the ``spark`` extra); the gateway never imports it.
Imports flow ``gateway.cli → batch → (ranking, backends.store)``.
"""
