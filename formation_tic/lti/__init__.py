"""LTI 1.3 launches from the establishment's ENA (Moodle) and scores back to its gradebook.

The protocol is PyLTI1p3's (``pylti1p3``); this package adapts it to the Jupyter server's
Tornado handlers and to formation-tic's settings root:

* :mod:`.settings`: the ``lti`` section and the platform registrations file;
* :mod:`.keys`: the tool's RSA key (mode 0600, under the data directory) and its JWKS;
* :mod:`.adapter`: PyLTI1p3's request, cookie, session, redirect and launch-data storage
  for Tornado, and the stricter launch validation;
* :mod:`.handlers`: the login, launch and JWKS endpoints, and the page's identity binding;
* :mod:`.store`: launches, sessions and the durable AGS score queue (SQLite);
* :mod:`.scores`: the xAPI outbox → score queue bridge and the AGS sender thread.

Importing this package is cheap: PyLTI1p3 is imported by the modules that use it.
"""
