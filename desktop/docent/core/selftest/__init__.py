"""Self-test: the privacy self-test (a whole index-and-ask run under the network guard, with
every file it wrote listed) and the guard itself. The top room of core: it may import every
other room, and nothing in core imports it."""
