"""The ``shearfeat`` command line (installed as the package ``shearfeat_cli``)."""
