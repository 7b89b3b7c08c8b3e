"""The one error a taxonomy data file raises, from reading, validation or loading."""


class TaxonomyFileError(ValueError):
    """A taxonomy file that cannot be loaded; ``problems`` holds one message per fault, each
    naming the file, the line and the field at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
