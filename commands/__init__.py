"""Commands of the ``fairshare`` command line beyond the core ones in ``cli.py``."""
