"""The office console's screens, one module each; each exposes `routes`."""
