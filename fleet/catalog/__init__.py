"""The catalog contract: frozen models, derived names, persona templates, consistency checks."""
