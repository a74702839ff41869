"""The tracker's revisions, one file each, named ``NNNN_what.py``; revision ids are the four digits.

A new revision also goes at the end of ``REVISIONS`` in the package above.
"""
