"""`make bench`: what the pipeline does on this machine, printed as a table and saved as
JSON under var/bench/. Not part of `make test`: figures, never timed assertions."""
