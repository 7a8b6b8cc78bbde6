"""kopf, and only here: thin handlers that turn kopf's arguments into one Service call and its
Outcome back into kopf's terms (status patch, Events, retry), and the runner."""
