"""Drawing: the score map, the RTH need map, the selection map, and their words.

Every map takes its words, number formats and escaping from
:mod:`siteplan.render.words`.
"""
