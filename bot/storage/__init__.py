"""Everything that reads or writes outside the process: knowledge files now, the database later."""
