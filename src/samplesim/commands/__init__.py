"""Sub-commands of the ``samplesim`` command line, one module each."""
