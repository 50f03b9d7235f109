"""The pure core: data in, data out. No I/O, no clock, no environment."""
