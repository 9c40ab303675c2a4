"""Documents (SPEC §7): the template context, rendering for cases, template checks and the
process manual. The fast .docx renderer itself is :mod:`procdoc.docx`."""
