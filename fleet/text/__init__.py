"""How strings are read and written: terminal-safe text, GitHub Markdown, problems, strict YAML."""
