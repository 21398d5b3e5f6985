"""A real step-ca for tests and demos, built from Debian's packages.

``localca.pki`` writes a PKI and ``ca.json``; ``localca.server`` builds and
runs the server on loopback. ``python -m localca`` wraps both for the README.
"""
