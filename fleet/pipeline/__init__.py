"""The pull-request pipeline's decisions, taken by the base branch's code about the head's files."""
