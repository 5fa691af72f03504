"""Capacity: do the pods a stack must run fit on the node groups it creates? (offline, pure Python)."""
