"""A catalog's past and future: who gained which access when (audit), moving a revision (promote)."""
