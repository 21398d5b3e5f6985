"""Pure-Python cryptography that runs inside the component."""
