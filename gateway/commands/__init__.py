"""The ``crossfade`` subcommands by group, each module adding its parsers to the command
line that ``gateway/cli.py`` assembles. Heavy imports (uvicorn, the ingest, the trainer,
pyspark) stay inside the commands that need them, so ``crossfade --help`` stays quick."""
