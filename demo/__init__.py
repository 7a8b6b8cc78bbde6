"""`make demo`: the operator end to end on a local control plane and the PingOne simulator."""
