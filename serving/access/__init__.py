"""Access to the service's results: roles and their permissions, API keys kept as keyed hashes,
the server secret they are hashed with, and the hash-chained audit log.

Plain Python below the HTTP face: nothing here knows status codes or headers.
"""
