"""The agent: model adapters, the loop, its events and the run store's view of it."""
