"""``classit-eval sweep``: evaluate every checkpoint of one or more training runs (requests built once, forward
passes per checkpoint, resumable by weights hash) and write the growth report of the series."""
