"""`status`: the live state of every child app joined with the rendered plan, and its formats. Pure."""
