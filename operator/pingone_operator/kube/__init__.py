"""The Kubernetes side, with the official client (and only here): the credentials Secret, the
urgent status write, and what connections need to read (their credentials, namespace labels)."""
