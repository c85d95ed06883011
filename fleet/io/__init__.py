"""The I/O shell: git, files, cluster reads, stack references. The only layer below the CLI that touches the world."""
