"""What people read about a desired state: access matrix, diff, graph, the plan directory's files."""
