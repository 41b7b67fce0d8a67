"""Import experiments NeMo-Run wrote (its ``~/.nemo_run`` layout) into the store.

``nemorun experiment import --from-nemo-run [DIR]`` calls :func:`import_nemo_run`. The layout
is read as data (``_CONFIG``, ``_TASKS``, ``_DONE``, the job directories and their logs);
neither NeMo-Run nor Fiddle is needed, and no task is run, built or imported.
"""

from nr_experiment.importing.writer import DEFAULT_SOURCE, ImportReport, import_nemo_run

__all__ = ["DEFAULT_SOURCE", "ImportReport", "import_nemo_run"]
