"""The `fleet` stack output: the versioned shape other teams' stacks read through StackReference."""
