"""``python -m nemo_run`` runs the ``nemorun`` console application."""

from nr_cli.app import main

if __name__ == "__main__":
    main()
