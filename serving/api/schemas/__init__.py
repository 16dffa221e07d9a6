"""Request and response schemas of the service, apart from the stored rows
(`serving.results.rows`) and the use cases' results they are mapped from: ``XCreate`` for what
a caller sends, ``XPublic`` for what the service answers."""
