"""The review's sections as HTML, one module per group of sections; :mod:`livelens.reports.html`
puts them in order. Each renderer takes the :class:`~livelens.reports.model.Review` and returns
escaped markup built from :mod:`livelens.reports.markup`.
"""
