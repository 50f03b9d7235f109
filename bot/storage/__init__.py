"""Everything that reads or writes outside the process: the knowledge files (knowledge_files.py) and the
database (db.py, tables.py, one repository module per table group, migrations/)."""
