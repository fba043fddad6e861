"""The realistic demo (``safeshare demo``): its story, its scenes and their narrator."""
