"""The stepwasm client core: pure Python, runs natively and in the component."""
