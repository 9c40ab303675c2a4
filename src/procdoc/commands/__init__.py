"""The commands, one module per family; each command is one typed function taking the
:class:`~procdoc.workspace.Workspace` and returning a result the CLI renders.

- :mod:`.cases`: new, advance, extend, set, assign, cancel, withdraw, show, list
- :mod:`.desk`: todo
- :mod:`.reports`: overdue, report daily, report stats, report monthly, sample
- :mod:`.imports`: import
- :mod:`.documents`: render, templates, manual
- :mod:`.ledger`: check, adopt, registers split, undo
- :mod:`.setup`: init, validate, graph
"""
